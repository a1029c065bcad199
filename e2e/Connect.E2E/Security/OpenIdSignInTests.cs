using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;
using Microsoft.Playwright;

namespace Connect.E2E.Security;

/// <summary>
/// <c>[Authentication] Provider = oauth2</c> against a real OpenID Connect provider (<c>oidc-provider</c>, over HTTPS
/// with a certificate the node trusts through its system store) in Chromium: the whole code flow with PKCE on a node
/// and on the dashboard, users matched by subject, groups from the claim, a tampered state or ID token refused,
/// and signing out at the provider too.
/// </summary>
public sealed class OpenIdSignInTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly TempDirectory _folder = new("connect-oidc");

    public void Dispose() => _folder.Dispose();

    private static Dictionary<string, OidcProviderProcess.Account> Accounts(string annName) => new()
    {
        ["sub-ann"] = new(annName, "ann@example.org", "analysts", "connect-publishers"),
        ["sub-vic"] = new("vic", "vic@example.org"),
    };

    private async Task<IPage> NewPageAsync() =>
        await (await browser.Browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true })).NewPageAsync();

    /// <summary>Fills the provider's sign-in form (it takes any password for a known login).</summary>
    private static async Task SignInAtProviderAsync(IPage page, string login)
    {
        await page.Locator("input[name=login]").FillAsync(login);
        await page.Locator("input[name=password]").FillAsync("any password");
        await page.Locator("button[type=submit]").ClickAsync();
    }

    [Fact]
    public async Task The_code_flow_signs_in_on_the_node_and_the_dashboard_and_refuses_tampering()
    {
        var nodePort = FreePort.Next();
        var dashboardPort = FreePort.Next();
        var nodeAddress = $"http://127.0.0.1:{nodePort}/";
        var dashboardAddress = $"http://127.0.0.1:{dashboardPort}/";
        await using var provider = await OidcProviderProcess.StartAsync(_folder, Accounts("ann"), [(nodeAddress, "/__login__"), (dashboardAddress, "/login")]);
        var trust = new Dictionary<string, string> { ["SSL_CERT_FILE"] = provider.Certificates.CaFile };
        await using var node = NodeProcess.Start(_folder, "node", $"""
            Address = {nodeAddress}
            DashboardAddress = {dashboardAddress}
            [Authentication]
            Provider = oauth2
            [OAuth2]
            ClientId = {OidcProviderProcess.ClientId}
            ClientSecret = {OidcProviderProcess.ClientSecret}
            OpenIDConnectIssuer = {provider.Issuer}
            CustomScope = groups
            GroupsAutoProvision = true
            [Authorization]
            PublisherRoleMapping = connect-publishers
            """, trust, port: nodePort);
        await node.WaitUntilServingAsync();
        await using var dashboard = await AdminProcess.StartAsync(_folder, node.ConfigPath, dashboardPort, trust);
        using var admin = node.ClientWithKey(node.AdminKey);
        var guid = await node.DeployAsync("members", TestBundles.StaticSite("for signed-in people"), accessType: "logged_in");

        // The whole flow: the item sends her to sign in, the node to the provider, the provider back with a code.
        var ann = await NewPageAsync();
        await ann.GotoAsync($"{nodeAddress}content/{guid}/");
        Assert.StartsWith(provider.Issuer, ann.Url);
        await SignInAtProviderAsync(ann, "sub-ann");
        await Assertions.Expect(ann.GetByText("for signed-in people")).ToBeVisibleAsync();
        Assert.StartsWith($"{nodeAddress}content/{guid}/", ann.Url);

        async Task<JsonElement> UserAsync(string prefix) => (await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/users?prefix={prefix}")).GetProperty("results")[0];
        var made = await UserAsync("ann");
        Assert.Equal("oauth2", made.GetProperty("provider").GetString());
        Assert.Equal("sub-ann", made.GetProperty("provider_id").GetString());
        Assert.Equal("publisher", made.GetProperty("user_role").GetString());
        var groups = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/groups")).GetProperty("results").EnumerateArray();
        Assert.Contains(groups, g => g.GetProperty("name").GetString() == "analysts" && g.GetProperty("origin").GetString() == "oauth2");

        // Her session is good in the dashboard (same cookie, same key ring).
        await ann.GotoAsync($"{dashboardAddress}content");
        await Assertions.Expect(ann.GetByText("members").First).ToBeVisibleAsync();

        // Renamed at the provider: the same user here (matched by subject), under her new name.
        provider.SetAccounts(Accounts("ann.lee"));
        var again = await NewPageAsync();
        await again.GotoAsync($"{nodeAddress}__login__?url=/content/{guid}/");
        await SignInAtProviderAsync(again, "sub-ann");
        await Assertions.Expect(again.GetByText("for signed-in people")).ToBeVisibleAsync();
        var renamed = await UserAsync("ann.lee");
        Assert.Equal(made.GetProperty("guid").GetString(), renamed.GetProperty("guid").GetString());

        // The dashboard's own sign-in: its redirect URI, its callback.
        var vic = await NewPageAsync();
        await vic.GotoAsync($"{dashboardAddress}content");
        Assert.StartsWith(provider.Issuer, vic.Url);
        await SignInAtProviderAsync(vic, "sub-vic");
        await Assertions.Expect(vic.GetByText("Content").First).ToBeVisibleAsync();
        Assert.StartsWith(dashboardAddress, vic.Url);
        Assert.Equal("viewer", (await UserAsync("vic")).GetProperty("user_role").GetString());

        // Walked by hand up to the provider's answer, the flow signs in when the answer is left as it is ...
        var (honest, answer) = await UpToCallbackAsync(nodeAddress, "sub-vic");
        Assert.Equal(HttpStatusCode.Redirect, (await honest.GetAsync(answer)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await honest.GetAsync($"{nodeAddress}content/{guid}/")).StatusCode);

        // ... and signs nobody in when its state is not the one this browser was given, when an ID token comes with it
        // in the browser's hands, or when the ID token from the provider's token endpoint was changed after signing.
        foreach (var (tamper, atTokenEndpoint, reason) in new (Func<string, string>, bool, string)[]
        {
            (callback => Regex(callback, "state=[^&]+", "state=" + Uri.EscapeDataString("forged-state")), false, "State"),
            (callback => callback + "&id_token=" + ForgedIdToken(provider.Issuer), false, "cannot contain an identity token"),
            (callback => callback, true, "IDX10511"),
        })
        {
            var (mallory, callback) = await UpToCallbackAsync(nodeAddress, "sub-vic");
            provider.TamperWithIdTokens = atTokenEndpoint;
            var refused = await mallory.GetAsync(tamper(callback));
            provider.TamperWithIdTokens = false;
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("Sign-in failed", await refused.Content.ReadAsStringAsync());
            // The log line reaches the test through the node's output, which may trail the answer.
            await Wait.UntilAsync(() => node.Output.Contains(reason), $"the node to log why ({reason})", TimeSpan.FromSeconds(10));
            var content = await mallory.GetAsync($"{nodeAddress}content/{guid}/");
            Assert.Equal(HttpStatusCode.Redirect, content.StatusCode);
            Assert.Contains("__login__", content.Headers.Location!.ToString());
        }

        Assert.DoesNotContain(((await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users")).GetProperty("results")).EnumerateArray(),
            u => u.GetProperty("provider").GetString() == "oauth2" && u.GetProperty("provider_id").GetString() == "admin");

        // Signing out ends the session here and at the provider: the next visit asks for her password again.
        await ann.GotoAsync($"{nodeAddress}__logout__");
        await ann.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        // Only the address is awaited (Commit): the page's own load is not, since the provider's page may move on
        // before it fires (CI once waited 30 s for it); the locators below wait for what they need.
        await ann.WaitForURLAsync(url => url.StartsWith(provider.Issuer, StringComparison.Ordinal) || url.Contains("signed-out", StringComparison.Ordinal),
            new() { WaitUntil = WaitUntilState.Commit });
        if (ann.Url.StartsWith(provider.Issuer, StringComparison.Ordinal))
        {
            // The provider asks before it signs out.
            await ann.Locator("button[name=logout][value=yes]").ClickAsync();
        }

        await Assertions.Expect(ann.GetByText("You are signed out here and at your organisation's sign-in")).ToBeVisibleAsync();
        await ann.GotoAsync($"{nodeAddress}content/{guid}/");
        Assert.StartsWith(provider.Issuer, ann.Url);
        await Assertions.Expect(ann.Locator("input[name=password]")).ToBeVisibleAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_provider_that_cannot_be_reached_or_hangs_gets_a_page_saying_so(bool hangs)
    {
        // Nobody at the port, or a server that takes the connection and never answers.
        using var hung = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        hung.Start(10);
        var port = hangs ? ((IPEndPoint)hung.LocalEndpoint).Port : FreePort.Next();
        await using var node = NodeProcess.Start(_folder, "node", $"""
            [Authentication]
            Provider = oauth2
            [OAuth2]
            ClientId = {OidcProviderProcess.ClientId}
            ClientSecret = {OidcProviderProcess.ClientSecret}
            OpenIDConnectIssuer = https://127.0.0.1:{port}
            """);
        await node.WaitUntilServingAsync();
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = node.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        var page = await browser.GetAsync("__login__");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
        Assert.Contains("cannot be reached", await page.Content.ReadAsStringAsync());
        await Wait.UntilAsync(() => node.Output.Contains("discovery document could not be read"), "the node to log why", TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// The code flow walked with plain HTTP up to the provider's answer, which is not delivered: the sign-in at the
    /// node, the provider's form, and the redirect back to the node's callback (returned, with the client holding the
    /// node's state and nonce cookies).
    /// </summary>
    private static async Task<(HttpClient Client, string Callback)> UpToCallbackAsync(string nodeAddress, string login)
    {
        var client = new HttpClient(new HttpClientHandler
        {
            CookieContainer = new CookieContainer(),
            AllowAutoRedirect = false,
            // The test client only; the node checks the provider's certificate against its store.
            ServerCertificateCustomValidationCallback = (_, _, _, _) => true,
        });
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        var location = new Uri($"{nodeAddress}__login__");
        var response = await client.GetAsync(location);
        for (var step = 0; step < 12; step++)
        {
            if (response.Headers.Location is { } next)
            {
                location = new Uri(location, next);
                if (location.AbsolutePath == "/__login__/callback")
                {
                    return (client, location.ToString());
                }

                response = await client.GetAsync(location);
                continue;
            }

            var form = System.Text.RegularExpressions.Regex.Match(await response.Content.ReadAsStringAsync(), "action=\"([^\"]+)\"");
            Assert.True(form.Success, $"expected the provider's sign-in form at {location}");
            location = new Uri(location, WebUtility.HtmlDecode(form.Groups[1].Value));
            response = await client.PostAsync(location, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["prompt"] = "login", ["login"] = login, ["password"] = "any password",
            }));
        }

        throw new InvalidOperationException($"the provider never sent the browser back (last at {location})");
    }

    private static string Regex(string input, string pattern, string replacement) =>
        System.Text.RegularExpressions.Regex.Replace(input, pattern, replacement);

    /// <summary>An ID token naming an administrator, signed with a key the provider never had.</summary>
    private static string ForgedIdToken(string issuer)
    {
        static string Part(object value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return $"{Part(new { alg = "RS256", typ = "JWT", kid = "forged" })}.{Part(new { iss = issuer, aud = OidcProviderProcess.ClientId, sub = "admin", preferred_username = "admin", iat = now, exp = now + 300 })}.{Convert.ToBase64String(new byte[256]).TrimEnd('=')}";
    }
}
