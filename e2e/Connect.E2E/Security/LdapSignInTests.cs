using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;

namespace Connect.E2E.Security;

/// <summary>
/// <c>[Authentication] Provider = ldap</c> against a real OpenLDAP (<c>slapd</c>, StartTLS) and two nodes on one
/// PostgreSQL database with the dashboard: sign-in, refusals, roles and groups from the directory, an item shared
/// with a directory group, a session made on one node good on the other and in the dashboard, a user removed from
/// the directory refused by key, and the break-glass administrator.
/// </summary>
public sealed class LdapSignInTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-ldap-sign-in");

    public void Dispose() => _folder.Dispose();

    private static HttpClient Browser(Uri baseUrl, CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = baseUrl };

    private static HttpRequestMessage Page(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        return request;
    }

    [Fact]
    public async Task Directory_users_sign_in_on_any_node_with_roles_and_groups_from_it_and_stop_when_removed()
    {
        await using var slapd = await SlapdProcess.StartAsync(_folder,
        [
            new SlapdProcess.Person("alice", "alice-password", "analysts", "publishers"),
            new SlapdProcess.Person("bob", "bob-password"),
            new SlapdProcess.Person("carol", "carol-password", "admins"),
            new SlapdProcess.Person("dave", "dave-password"),
        ]);
        await using var postgres = await TestPostgres.CreateDatabaseAsync();
        var config = $"""
            [Database]
            Provider = postgres
            [Postgres]
            URL = {postgres.Url}
            Password = {postgres.Password}
            [Authentication]
            Provider = ldap
            BreakGlassAdministrators = admin
            {slapd.Section("Example directory", "UserCheckInterval = 1s")}
            [Authorization]
            PublisherRoleMapping = publishers
            AdministratorRoleMapping = admins
            """;
        await using var nodeA = NodeProcess.Start(_folder, "node-a", config);
        await nodeA.WaitUntilServingAsync();
        await using var nodeB = NodeProcess.Start(_folder, "node-b", config);
        await nodeB.WaitUntilServingAsync();
        using var admin = nodeA.ClientWithKey(nodeA.AdminKey);
        var guid = await nodeA.DeployAsync("analysis", TestBundles.StaticSite("for analysts only"), accessType: "acl");

        // Sign-in on node A: a publisher, from the directory's "publishers" group, known by her entry's UUID.
        var cookies = new CookieContainer();
        using var aliceOnA = Browser(nodeA.BaseUrl, cookies);
        var signedIn = await SignInForm.SignInAsync(aliceOnA, "alice", "alice-password", $"/content/{guid}/");
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, $"{signedIn.StatusCode}: {await signedIn.Content.ReadAsStringAsync()}\n{nodeA.Output}");
        var alice = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users?prefix=alice")).GetProperty("results")[0];
        Assert.Equal("publisher", alice.GetProperty("user_role").GetString());
        Assert.Equal("ldap", alice.GetProperty("provider").GetString());
        Assert.True(Guid.TryParse(alice.GetProperty("provider_id").GetString(), out _));
        Assert.Equal("alice@example.org", alice.GetProperty("email").GetString());

        // Her directory groups are groups here, from the directory; only the directory changes their members.
        var groups = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/groups")).GetProperty("results").EnumerateArray().ToList();
        var analysts = groups.Single(g => g.GetProperty("name").GetString() == "analysts");
        Assert.Equal("ldap", analysts.GetProperty("origin").GetString());
        var bob0 = await SignInForm.SignInAsync(Browser(nodeA.BaseUrl, new CookieContainer()), "bob", "bob-password");
        Assert.Equal(HttpStatusCode.Redirect, bob0.StatusCode);
        var bob = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users?prefix=bob")).GetProperty("results")[0];
        Assert.Equal("viewer", bob.GetProperty("user_role").GetString());
        var addBob = await admin.PostAsJsonAsync($"__api__/v1/groups/{analysts.GetProperty("guid").GetString()}/members", new { user_guid = bob.GetProperty("guid").GetString() });
        Assert.Equal(HttpStatusCode.Conflict, addBob.StatusCode);

        // The item shared with the directory group: its member opens it, on either node; bob does not.
        Assert.True((await admin.PostAsJsonAsync($"__api__/v1/content/{guid}/permissions",
            new { principal_guid = analysts.GetProperty("guid").GetString(), principal_type = "group", role = "viewer" })).IsSuccessStatusCode);
        var onA = await aliceOnA.SendAsync(Page($"content/{guid}/"));
        Assert.Equal(HttpStatusCode.OK, onA.StatusCode);
        Assert.Contains("for analysts only", await onA.Content.ReadAsStringAsync());
        using var aliceOnB = Browser(nodeB.BaseUrl, cookies);
        var onB = await aliceOnB.SendAsync(Page($"content/{guid}/"));
        Assert.Equal(HttpStatusCode.OK, onB.StatusCode);
        Assert.Contains("for analysts only", await onB.Content.ReadAsStringAsync());
        using var bobBrowser = Browser(nodeB.BaseUrl, new CookieContainer());
        Assert.Equal(HttpStatusCode.Redirect, (await SignInForm.SignInAsync(bobBrowser, "bob", "bob-password")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await bobBrowser.SendAsync(Page($"content/{guid}/"))).StatusCode);

        // The session node A made is good in the dashboard too.
        await using var dashboard = await AdminProcess.StartAsync(_folder, nodeA.ConfigPath);
        using var aliceInDashboard = Browser(dashboard.BaseUrl, cookies);
        var desk = await aliceInDashboard.SendAsync(Page("content"));
        Assert.Equal(HttpStatusCode.OK, desk.StatusCode);
        Assert.Contains("analysis", await desk.Content.ReadAsStringAsync());

        // Refused: a wrong password, an unknown user, an injection-shaped name, an empty password.
        // (Spread over both nodes: each allows one address 10 sign-in attempts a minute.)
        foreach (var (name, password, node) in new[] { ("alice", "bob-password", nodeA), ("nobody", "alice-password", nodeB), ("*)(uid=*", "alice-password", nodeA), ("alice", "", nodeB) })
        {
            var refused = await SignInForm.SignInAsync(Browser(node.BaseUrl, new CookieContainer()), name, password);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("wrong", await refused.Content.ReadAsStringAsync());
        }

        // The directory's administrators are administrators here.
        var carolCookies = new CookieContainer();
        Assert.Equal(HttpStatusCode.Redirect, (await SignInForm.SignInAsync(Browser(nodeB.BaseUrl, carolCookies), "carol", "carol-password")).StatusCode);
        Assert.Equal("administrator", (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users?prefix=carol")).GetProperty("results")[0].GetProperty("user_role").GetString());

        // In the dashboard she may add people and groups from the directory before they sign in.
        using var carolInDashboard = Browser(dashboard.BaseUrl, carolCookies);
        var usersPage = await carolInDashboard.SendAsync(Page("users"));
        Assert.Equal(HttpStatusCode.OK, usersPage.StatusCode);
        Assert.Contains("Add from the directory", await usersPage.Content.ReadAsStringAsync());
        Assert.Contains("Directory group starts with", await (await carolInDashboard.SendAsync(Page("groups"))).Content.ReadAsStringAsync());

        // A remote search's ticket made on node A adds dave on node B: the nodes share the keys that seal it.
        var daveFound = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users/remote?prefix=dave")).GetProperty("results")[0];
        using var adminOnB = nodeB.ClientWithKey(nodeA.AdminKey);
        var daveAdded = await adminOnB.PutAsJsonAsync("__api__/v1/users", new { temp_ticket = daveFound.GetProperty("temp_ticket").GetString() });
        Assert.True(daveAdded.IsSuccessStatusCode, await daveAdded.Content.ReadAsStringAsync());
        Assert.Equal("dave", (await daveAdded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("username").GetString());

        // Alice's API key works until she leaves the directory; then her key, her session and her password stop.
        using var aliceKey = nodeB.ClientWithKey(await nodeA.CreateKeyAsync("alice"));
        Assert.Equal("alice", (await aliceKey.GetFromJsonAsync<JsonElement>("__api__/v1/user")).GetProperty("username").GetString());
        slapd.Remove("alice");
        await Wait.UntilAsync(async () => (await aliceKey.GetAsync("__api__/v1/user")).StatusCode == HttpStatusCode.Unauthorized,
            "alice's key to be refused once the directory no longer has her", TimeSpan.FromSeconds(20));
        await Wait.UntilAsync(() => nodeB.Output.Contains("no LDAP directory has her"), "the node to log why it locked her", TimeSpan.FromSeconds(10));
        await Wait.UntilAsync(async () => (await aliceOnA.SendAsync(Page($"content/{guid}/"))).StatusCode != HttpStatusCode.OK,
            "alice's session to end", TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInForm.SignInAsync(Browser(nodeA.BaseUrl, new CookieContainer()), "alice", "alice-password")).StatusCode);

        // The directory goes away: sign-in says so (503), and what was known holds: carol's key still works after its
        // check interval, the check having failed.
        using var carolKey = nodeA.ClientWithKey(await nodeA.CreateKeyAsync("carol"));
        Assert.Equal(HttpStatusCode.OK, (await carolKey.GetAsync("__api__/v1/user")).StatusCode);
        await slapd.StopAsync();
        var down = await SignInForm.SignInAsync(Browser(nodeB.BaseUrl, new CookieContainer()), "bob", "bob-password");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Contains("cannot be reached", await down.Content.ReadAsStringAsync());
        await Wait.UntilAsync(async () => (await carolKey.GetAsync("__api__/v1/user")).StatusCode == HttpStatusCode.OK
            && nodeA.Output.Contains("did not answer", StringComparison.Ordinal), // node A asked the directory only for the key's check
            "carol's key to pass a check made while the directory was away", TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.OK, (await carolKey.GetAsync("__api__/v1/user")).StatusCode);

        // While it is away, the break-glass administrator signs in with a local password at /__login__/local only.
        Assert.Equal(0, (await nodeA.RunCommandWithInputAsync("glass-password-1\n", "users", "passwd", "admin")).ExitCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await SignInForm.SignInAsync(Browser(nodeA.BaseUrl, new CookieContainer()), "admin", "glass-password-1")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInForm.SignInAsync(Browser(nodeA.BaseUrl, new CookieContainer()), "admin", "glass-password-1", path: "__login__/local")).StatusCode);
        // ... and no one else does: a directory user has no password here, and cannot be given one.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInForm.SignInAsync(Browser(nodeA.BaseUrl, new CookieContainer()), "bob", "bob-password", path: "__login__/local")).StatusCode);
        Assert.NotEqual(0, (await nodeA.RunCommandWithInputAsync("bob-password-2\n", "users", "passwd", "bob")).ExitCode);
    }
}
