using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Shared.Configuration;
using Connect.Testing;

namespace Connect.E2E.Cluster;

/// <summary>Two nodes on one PostgreSQL database and one data directory, behind nginx from nginx.conf.sample.</summary>
public sealed class LoadBalancerTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new("connect-cluster");
    private TestDatabase _database = null!;

    public NodeProcess A { get; private set; } = null!;

    public NodeProcess B { get; private set; } = null!;

    public NginxProcess Nginx { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        A = NodeProcess.Start(_folder, "node-a", _database.ConfigLines);
        await A.WaitUntilServingAsync();
        B = NodeProcess.Start(_folder, "node-b", _database.ConfigLines);
        await B.WaitUntilServingAsync();
        Nginx = await NginxProcess.StartAsync(_folder, A, B);
    }

    public async Task DisposeAsync()
    {
        await Nginx.DisposeAsync();
        await A.DisposeAsync();
        await B.DisposeAsync();
        await _database.DisposeAsync();
        _folder.Dispose();
    }

    private static string? PinnedNode(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0]).FirstOrDefault(c => c.StartsWith("CONNECT_NODE=", StringComparison.Ordinal))?["CONNECT_NODE=".Length..]
            : null;

    [Fact]
    public async Task A_deploy_through_nginx_with_rsconnect_is_served_by_every_node()
    {
        var site = Directory.CreateDirectory(_folder.File("site")).FullName;
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<html><body>Served by the cluster</body></html>");

        await Rsconnect.For(A, _folder, Nginx.BaseUrl + "__api__").DeployAsync(site, "cluster-site");

        using var admin = A.ClientWithKey(A.AdminKey);
        var guid = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/content"))[0].GetProperty("guid").GetString();
        // The key made on A is accepted by B: both nodes read the one database.
        using var adminOnB = B.ClientWithKey(A.AdminKey);
        Assert.Contains("Served by the cluster", await admin.GetStringAsync($"content/{guid}/"));
        Assert.Contains("Served by the cluster", await adminOnB.GetStringAsync($"content/{guid}/"));
    }

    [Fact]
    public async Task New_clients_are_spread_a_pinned_client_stays_and_moves_when_its_node_dies()
    {
        // Cookie-less clients: round-robin over the nodes.
        using var fresh = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = Nginx.BaseUrl };
        var landed = new HashSet<string>();
        for (var i = 0; i < 10 && landed.Count < 2; i++)
        {
            landed.Add(PinnedNode(await fresh.GetAsync("__ping__"))!);
        }

        Assert.Equal(new HashSet<string> { $"127.0.0.1:{A.Port}", $"127.0.0.1:{B.Port}" }, landed);

        // A client that keeps the cookie stays on its node.
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = Nginx.BaseUrl };
        var first = PinnedNode(await browser.GetAsync("__ping__"));
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(first, PinnedNode(await browser.GetAsync("__ping__")));
        }

        // Its node dies: the next request succeeds elsewhere and the cookie follows.
        var (dead, alive) = first == $"127.0.0.1:{A.Port}" ? (A, B) : (B, A);
        dead.Kill();
        await dead.WaitForExitAsync();

        var after = await browser.GetAsync("__ping__");

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal($"127.0.0.1:{alive.Port}", PinnedNode(after));
        Assert.Equal($"127.0.0.1:{alive.Port}", cookies.GetCookies(Nginx.BaseUrl)["CONNECT_NODE"]?.Value);
        Assert.Equal($"127.0.0.1:{alive.Port}", PinnedNode(await browser.GetAsync("__ping__")));
    }

    [Fact]
    public async Task A_session_made_on_one_node_works_on_the_other_and_revocations_reach_every_node_within_a_second()
    {
        const string password = "a long enough password";
        var (added, output) = await A.RunCommandWithInputAsync(password + "\n", "users", "add", "sam", "--role", "publisher", "--password-stdin");
        Assert.True(added == 0, output);
        var key = (await A.RunCommandAsync("keys", "create", "--user", "sam", "--name", "laptop")).Output.Split('\n')[^1];
        var guid = await A.DeployAsync("members-only", TestBundles.StaticSite("for signed-in users"), accessType: "logged_in");

        // Sign in through nginx, whichever node answers; then use the cookie on each node directly.
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = Nginx.BaseUrl };
        var wrong = await SignInForm.SignInAsync(browser, "sam", "not the password", "/");
        var signIn = await SignInForm.SignInAsync(browser, "sam", password, $"/content/{guid}/");
        var session = cookies.GetCookies(Nginx.BaseUrl)["connect_session"]?.Value;

        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal($"/content/{guid}/", signIn.Headers.Location?.OriginalString);
        Assert.NotNull(session);
        foreach (var node in new[] { A, B })
        {
            Assert.Contains("for signed-in users", await GetWithSessionAsync(node, guid, session));
        }

        // The API takes keys, never the session cookie (content shares its origin).
        using var apiWithCookie = new HttpRequestMessage(HttpMethod.Get, "__api__/v1/user");
        apiWithCookie.Headers.Add("Cookie", $"connect_session={session}");
        Assert.Equal(HttpStatusCode.Unauthorized, (await B.Http.SendAsync(apiWithCookie)).StatusCode);

        // A key revoked on A is refused by B once B's half-second cache of keys lapses. The deadline is not that half
        // second (one request on a loaded CI machine can take longer; LastAnswerCacheTests times the lapse), but
        // it is far below what a cache that never asked the database again would need.
        using var samOnA = A.ClientWithKey(key);
        using var samOnB = B.ClientWithKey(key);
        Assert.Equal("sam", (await samOnB.GetFromJsonAsync<JsonElement>("__api__/v1/user")).GetProperty("username").GetString());
        var keyId = (await samOnA.GetFromJsonAsync<JsonElement>("__api__/v1/keys")).EnumerateArray().Single().GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await samOnA.DeleteAsync($"__api__/v1/keys/{keyId}")).StatusCode);
        await Wait.UntilAsync(async () => (await samOnB.GetAsync("__api__/v1/user")).StatusCode == HttpStatusCode.Unauthorized,
            "node B to refuse the revoked key", TimeSpan.FromSeconds(10));

        // A user locked on A loses the session on B, the same way.
        using var admin = A.ClientWithKey(A.AdminKey);
        var samGuid = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users")).GetProperty("results").EnumerateArray()
            .Single(u => u.GetProperty("username").GetString() == "sam").GetProperty("guid").GetString();
        Assert.True((await admin.PostAsJsonAsync($"__api__/v1/users/{samGuid}/lock", new { locked = true })).IsSuccessStatusCode);
        await Wait.UntilAsync(async () => await GetWithSessionAsync(B, guid, session) is null,
            "node B to refuse the locked user's session", TimeSpan.FromSeconds(10));
    }

    /// <summary>The content's page fetched with only the session cookie, or null when the node refuses it.</summary>
    private static async Task<string?> GetWithSessionAsync(NodeProcess node, string guid, string session)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"content/{guid}/");
        request.Headers.Add("Cookie", $"connect_session={session}");
        var response = await node.Http.SendAsync(request);
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
    }

    private const string RecorderApi = """
        #* @post /record
        function(id) {
          cat(id, "\n", file = file.path(Sys.getenv("HOME"), "posts.txt"), append = TRUE)
          Sys.sleep(3)
          list(ok = TRUE)
        }

        #* @serializer unboxedJSON
        #* @get /busy
        function(res) {
          res$status <- 503
          list(message = "the app itself is busy")
        }
        """;

    [Fact]
    public async Task The_dashboard_is_served_by_the_samples_own_server_on_its_own_origin()
    {
        const string password = "a long enough password";
        var (added, output) = await A.RunCommandWithInputAsync(password + "\n", "users", "add", "pam", "--role", "publisher", "--password-stdin");
        Assert.True(added == 0, output);
        await using var dashboard = await AdminProcess.StartAsync(_folder, A.ConfigPath);
        await using var nginx = await NginxProcess.StartAsync(_folder, [A, B], dashboard);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = nginx.DashboardUrl };

        // Sign in and open her content, through nginx.
        var signIn = await SignInForm.SignInAsync(browser, "pam", password, "/content", path: "login");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var content = await browser.GetAsync("content");
        Assert.Equal(HttpStatusCode.OK, content.StatusCode);
        Assert.Contains("Content", await content.Content.ReadAsStringAsync());

        // Its circuit is opened from its own origin through nginx; from the content's origin (the nodes' server), it is refused.
        var own = nginx.DashboardUrl.ToString().TrimEnd('/');
        var contentOrigin = nginx.BaseUrl.ToString().TrimEnd('/');
        async Task<HttpStatusCode> NegotiateFromAsync(string origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "_blazor/negotiate?negotiateVersion=1");
            request.Headers.Add("Origin", origin);
            return (await browser.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await NegotiateFromAsync(own));
        Assert.Equal(HttpStatusCode.Forbidden, await NegotiateFromAsync(contentOrigin));

        // A client pointed at the dashboard is told so.
        var api = await browser.GetAsync("__api__/server_settings");
        Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Contains("dashboard, not its server", await api.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_post_whose_node_dies_while_handling_it_is_not_run_again_and_contents_own_errors_pass_through()
    {
        var guid = await A.DeployAsync("recorder", TestBundles.PlumberApi(RecorderApi));
        var cookies = new CookieContainer();
        cookies.Add(new Cookie("CONNECT_NODE", $"127.0.0.1:{A.Port}", "/", Nginx.BaseUrl.Host));
        using var pinnedToA = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = Nginx.BaseUrl };

        // The app's own 503 is its answer: not retried elsewhere, not replaced by nginx.
        var busy = await pinnedToA.GetAsync($"content/{guid}/busy");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
        Assert.Contains("the app itself is busy", await busy.Content.ReadAsStringAsync());

        var posts = Path.Combine(A.DataDir, "home", guid, "posts.txt"); // the content's home, shared by both nodes
        var post = pinnedToA.PostAsync($"content/{guid}/record?id=first", null);
        await Wait.UntilAsync(() => File.Exists(posts) && File.ReadAllText(posts).Contains("first"), "the POST to reach node A's worker");
        A.Kill();
        var answer = await post;

        Assert.Equal(HttpStatusCode.BadGateway, answer.StatusCode);
        Assert.Single(File.ReadAllLines(posts), line => line.Trim() == "first");

        // A GET whose node is gone still moves to the other node.
        var moved = await pinnedToA.GetAsync($"content/{guid}/busy");
        Assert.Contains("the app itself is busy", await moved.Content.ReadAsStringAsync());
    }
}
