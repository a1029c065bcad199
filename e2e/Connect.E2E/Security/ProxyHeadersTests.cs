using System.Net;
using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Security;

/// <summary>What of a viewer's request reaches the content: never the node's credentials, never a client's say on where it came from.</summary>
public sealed class ProxyHeadersTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-headers");

    public void Dispose() => _folder.Dispose();

    private const string EchoHeaders = """
        #* @serializer unboxedJSON
        #* @get /headers
        function(req) {
          h <- function(name) { v <- req[[name]]; if (is.null(v)) "" else v }
          list(authorization = h("HTTP_AUTHORIZATION"), rsc_authorization = h("HTTP_X_RSC_AUTHORIZATION"), cookie = h("HTTP_COOKIE"),
               forwarded_host = h("HTTP_X_FORWARDED_HOST"), forwarded_for = h("HTTP_X_FORWARDED_FOR"), forwarded = h("HTTP_FORWARDED"),
               rsc_request = h("HTTP_X_RSC_REQUEST"))
        }

        #* @get /claim
        #* @serializer text
        function(res) {
          res$setHeader("Service-Worker-Allowed", "/")
          res$setCookie("connect_session", "forged", path = "/")
          res$setCookie("CONNECT_NODE", "127.0.0.1:1", path = "/")
          res$setCookie("app_choice", "light", path = "/")
          "claimed"
        }
        """;

    [Fact]
    public async Task Content_never_sees_the_callers_key_or_session_and_the_node_says_where_requests_come_from()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("echo", TestBundles.PlumberApi(EchoHeaders), accessType: "logged_in");
        var (added, output) = await node.RunCommandWithInputAsync("a long enough password\n", "users", "add", "vi", "--role", "viewer", "--password-stdin");
        Assert.True(added == 0, output);
        var session = await SignInAsync(node, "vi", "a long enough password");

        using var withKey = new HttpRequestMessage(HttpMethod.Get, $"content/{guid}/headers");
        withKey.Headers.Add("Authorization", $"Key {node.AdminKey}");
        withKey.Headers.Add("Cookie", "app_choice=dark");
        withKey.Headers.Add("X-Forwarded-Host", "evil.example");
        withKey.Headers.Add("X-Forwarded-For", "10.6.6.6");
        withKey.Headers.Add("Forwarded", "for=10.6.6.6;host=evil.example");
        withKey.Headers.Add("X-RSC-Request", "http://evil.example/steal");
        var seenWithKey = await SendAsync(node, withKey);

        using var withSession = new HttpRequestMessage(HttpMethod.Get, $"content/{guid}/headers");
        withSession.Headers.Add("Cookie", $"app_choice=dark; connect_session={session}");
        withSession.Headers.Add("X-RSC-Authorization", $"Key {node.AdminKey}");
        var seenWithSession = await SendAsync(node, withSession);

        foreach (var seen in new[] { seenWithKey, seenWithSession })
        {
            Assert.Equal("", seen.GetProperty("authorization").GetString());
            Assert.Equal("", seen.GetProperty("rsc_authorization").GetString());
            Assert.Equal("app_choice=dark", seen.GetProperty("cookie").GetString()); // the app's own cookies pass
            Assert.Equal($"127.0.0.1:{node.Port}", seen.GetProperty("forwarded_host").GetString());
            Assert.Equal("127.0.0.1", seen.GetProperty("forwarded_for").GetString());
            Assert.Equal("", seen.GetProperty("forwarded").GetString());
            Assert.StartsWith($"http://127.0.0.1:{node.Port}/content/{guid}/headers", seen.GetProperty("rsc_request").GetString());
        }
    }

    [Fact]
    public async Task A_trusted_load_balancer_says_where_requests_come_from()
    {
        await using var node = NodeProcess.Start(_folder, "node", """
            [LoadBalancing]
            TrustedProxies = 127.0.0.1
            """);
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("echo", TestBundles.PlumberApi(EchoHeaders));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"content/{guid}/headers");
        request.Headers.Add("X-Forwarded-Host", "connect.example.com");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "203.0.113.7");
        var seen = await SendAsync(node, request);

        Assert.Equal("connect.example.com", seen.GetProperty("forwarded_host").GetString());
        Assert.Equal("203.0.113.7", seen.GetProperty("forwarded_for").GetString());
        Assert.StartsWith($"https://connect.example.com/content/{guid}/headers", seen.GetProperty("rsc_request").GetString());
    }

    private static async Task<JsonElement> SendAsync(NodeProcess node, HttpRequestMessage request)
    {
        var response = await node.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Content_cannot_claim_the_origin_with_a_service_worker_or_set_the_nodes_cookies()
    {
        await using var node = NodeProcess.Start(_folder, "claims", "");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("claims", TestBundles.PlumberApi(EchoHeaders), accessType: "all");

        var response = await node.Http.GetAsync($"content/{guid}/claim");

        Assert.Equal("claimed", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Service-Worker-Allowed"));
        var cookies = response.Headers.TryGetValues("Set-Cookie", out var set) ? set.ToList() : [];
        Assert.Contains(cookies, c => c.StartsWith("app_choice=light", StringComparison.Ordinal)); // the app's own cookie passes
        Assert.DoesNotContain(cookies, c => c.StartsWith("connect_session=", StringComparison.Ordinal) || c.StartsWith("CONNECT_NODE=", StringComparison.Ordinal));
    }

    private static async Task<string> SignInAsync(NodeProcess node, string username, string password)
    {
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = node.BaseUrl };
        var response = await SignInForm.SignInAsync(browser, username, password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return cookies.GetCookies(node.BaseUrl)["connect_session"]!.Value;
    }
}
