using System.Net;
using System.Net.Http.Json;
using Connect.Runtime.Tests.Publishing;
using Connect.Testing;

namespace Connect.Runtime.Tests.Security;

/// <summary>The node's sign-in: passwords, the session cookie, where it sends you, and how often you may try.</summary>
public sealed class SignInTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    private const string Password = "a password long enough";

    private async Task AddUserAsync(string name, string role = "viewer")
    {
        var (exitCode, output) = await server.Node.RunCommandWithInputAsync(Password + "\n", "users", "add", name, "--role", role, "--password-stdin");
        Assert.True(exitCode == 0, output);
    }

    private HttpClient Browser(CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = server.Node.BaseUrl };

    private static FormUrlEncodedContent Form(string user, string password, string? url = null) => new(new Dictionary<string, string>
    {
        ["username"] = user, ["password"] = password, ["url"] = url ?? "",
    });

    [Fact]
    public async Task Signing_in_sets_a_private_session_cookie_and_returns_only_to_this_server()
    {
        await AddUserAsync("sue");
        using var browser = Browser();

        var page = await browser.GetAsync("__login__?url=/content/abc/");
        var home = await browser.PostAsync("__login__", Form("sue", Password, "/content/abc/"));
        var offsite = await browser.PostAsync("__login__", Form("sue", Password, "//evil.example/"));
        var backslash = await browser.PostAsync("__login__", Form("sue", Password, "/\\evil.example/"));

        Assert.Contains("name=\"password\"", await page.Content.ReadAsStringAsync());
        Assert.Equal("/content/abc/", home.Headers.Location?.OriginalString);
        var cookie = Assert.Single(home.Headers.GetValues("Set-Cookie"), c => c.StartsWith("connect_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("/", offsite.Headers.Location?.OriginalString);
        Assert.Equal("/", backslash.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Wrong_passwords_unknown_users_and_locked_users_do_not_get_a_session()
    {
        await AddUserAsync("lou");
        await AddUserAsync("lee");
        await server.Node.RunCommandAsync("users", "lock", "lee");
        using var browser = Browser();

        var wrong = await browser.PostAsync("__login__", Form("lou", "not the password"));
        var unknown = await browser.PostAsync("__login__", Form("nobody", Password));
        var locked = await browser.PostAsync("__login__", Form("lee", Password));
        var keyOnly = await browser.PostAsync("__login__", Form("admin", ""));

        foreach (var response in new[] { wrong, unknown, locked, keyOnly })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }

        Assert.Contains("wrong", await wrong.Content.ReadAsStringAsync());
        Assert.Equal(await wrong.Content.ReadAsStringAsync(), await unknown.Content.ReadAsStringAsync()); // no hint which names exist
        Assert.Contains("locked", await locked.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Signing_out_ends_the_session()
    {
        await AddUserAsync("sam");
        var cookies = new CookieContainer();
        using var browser = Browser(cookies);
        var admin = server.Admin;
        var created = await PublishingNode.JsonAsync(await admin.PostAsJsonAsync("__api__/v1/content", new { name = "members" }));
        var guid = created.GetProperty("guid").GetString();
        await admin.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { access_type = "logged_in" });

        await browser.PostAsync("__login__", Form("sam", Password));
        var signedIn = await browser.GetAsync($"content/{guid}/");
        await browser.PostAsync("__logout__", null);
        var signedOut = await browser.GetAsync($"content/{guid}/");

        Assert.Equal(HttpStatusCode.NotFound, signedIn.StatusCode); // signed in: allowed, but nothing is deployed yet
        Assert.Contains("has no deployed bundle yet", await signedIn.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, signedOut.StatusCode);
    }
}

/// <summary>Its own node, so no other test's sign-ins count against the limit.</summary>
public sealed class SignInRateLimitTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    [Fact]
    public async Task An_address_that_keeps_failing_to_sign_in_is_slowed_down()
    {
        using var client = new HttpClient { BaseAddress = server.Node.BaseUrl };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 11; i++)
        {
            var response = await client.PostAsync("__login__", new FormUrlEncodedContent(new Dictionary<string, string> { ["username"] = "admin", ["password"] = $"guess {i}" }));
            statuses.Add(response.StatusCode);
        }

        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[10]);
    }
}

/// <summary>The landing page lists what the visitor may open, and nothing else.</summary>
public sealed class LandingPageTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    [Fact]
    public async Task The_landing_page_lists_only_what_the_visitor_may_open()
    {
        var admin = server.Admin;
        foreach (var (name, access) in new[] { ("public-page", "all"), ("private-page", "acl") })
        {
            var (id, guid) = await server.CreateApplicationAsync(admin, name);
            await admin.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { access_type = access });
            await server.DeployAsync(admin, id, TestBundles.StaticSite(name));
        }

        using var anonymous = new HttpClient { BaseAddress = server.Node.BaseUrl };
        var forAnyone = await anonymous.GetStringAsync("/");
        var forAdmin = await admin.GetStringAsync("/");

        Assert.Contains("public-page", forAnyone);
        Assert.DoesNotContain("private-page", forAnyone);
        Assert.Contains("Sign in", forAnyone);
        Assert.Contains("private-page", forAdmin);
    }
}
