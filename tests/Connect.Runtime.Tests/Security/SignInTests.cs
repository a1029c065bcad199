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

    private static Task<HttpResponseMessage> SignInAsync(HttpClient browser, string user, string password, string? url = null) =>
        SignInForm.SignInAsync(browser, user, password, url ?? "");

    [Fact]
    public async Task Signing_in_sets_a_private_session_cookie_and_returns_only_to_this_server()
    {
        await AddUserAsync("sue");
        using var browser = Browser();

        var page = await browser.GetAsync("__login__?url=/content/abc/");
        var home = await SignInAsync(browser, "sue", Password, "/content/abc/");
        var offsite = await SignInAsync(browser, "sue", Password, "//evil.example/");
        var backslash = await SignInAsync(browser, "sue", Password, "/\\evil.example/");

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

        var wrong = await SignInAsync(browser, "lou", "not the password");
        var unknown = await SignInAsync(browser, "nobody", Password);
        var locked = await SignInAsync(browser, "lee", Password);
        var keyOnly = await SignInAsync(browser, "admin", "");

        foreach (var response in new[] { wrong, unknown, locked, keyOnly })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.False(response.Headers.Contains("Set-Cookie"));
        }

        Assert.Contains("wrong", await wrong.Content.ReadAsStringAsync());
        Assert.Equal(WithoutToken(await wrong.Content.ReadAsStringAsync()), WithoutToken(await unknown.Content.ReadAsStringAsync())); // no hint which names exist
        Assert.Contains("locked", await locked.Content.ReadAsStringAsync());
    }

    /// <summary>A page with its form token taken out (each page gets a token of its own).</summary>
    private static string WithoutToken(string page) => System.Text.RegularExpressions.Regex.Replace(page, "name=\"form_token\" value=\"[^\"]*\"", "");

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

        await SignInAsync(browser, "sam", Password);
        var signedIn = await browser.GetAsync($"content/{guid}/");
        await SignInForm.PostAsync(browser, "__logout__");
        var signedOut = await browser.GetAsync($"content/{guid}/");

        Assert.Equal(HttpStatusCode.NotFound, signedIn.StatusCode); // signed in: allowed, but nothing is deployed yet
        Assert.Contains("has no deployed bundle yet", await signedIn.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, signedOut.StatusCode);
    }
}

/// <summary>Sign-in and sign-out forms posted from elsewhere: on a node of its own, so its posts count against no other test's limit.</summary>
public sealed class CrossSiteSignInTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    private const string Password = "a password long enough";

    [Fact]
    public async Task A_sign_in_or_sign_out_posted_from_another_site_or_without_the_forms_token_is_refused()
    {
        var (exitCode, output) = await server.Node.RunCommandWithInputAsync(Password + "\n", "users", "add", "sid", "--role", "viewer", "--password-stdin");
        Assert.True(exitCode == 0, output);
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = server.Node.BaseUrl };
        var page = await browser.GetStringAsync("__login__");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"form_token\" value=\"([^\"]*)\"").Groups[1].Value;
        FormUrlEncodedContent Form(bool withToken) => new(new Dictionary<string, string>
        {
            ["username"] = "sid", ["password"] = Password, ["url"] = "/", [withToken ? "form_token" : "other"] = WebUtility.HtmlDecode(token),
        });

        var noToken = await browser.PostAsync("__login__", Form(withToken: false));
        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "__login__") { Content = Form(withToken: true) };
        crossSite.Headers.Add("Origin", "https://evil.example");
        var fromElsewhere = await browser.SendAsync(crossSite);
        var signOutWithoutToken = await browser.PostAsync("__logout__", null);
        var ownForm = await browser.PostAsync("__login__", Form(withToken: true));

        foreach (var refused in new[] { noToken, fromElsewhere, signOutWithoutToken })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.False(refused.Headers.TryGetValues("Set-Cookie", out var set) && set.Any(c => c.StartsWith("connect_session=", StringComparison.Ordinal)));
        }

        Assert.Equal(HttpStatusCode.Redirect, ownForm.StatusCode); // the same form from this server's own page signs in
    }
}

/// <summary>Its own node, so no other test's sign-ins count against the limit.</summary>
public sealed class SignInRateLimitTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    [Fact]
    public async Task An_address_that_keeps_failing_to_sign_in_is_slowed_down()
    {
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = server.Node.BaseUrl };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 11; i++)
        {
            var response = await SignInForm.SignInAsync(client, "admin", $"guess {i}");
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
