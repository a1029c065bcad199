using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;

namespace Connect.E2E.Security;

/// <summary>
/// The product's remote creation against a real OpenLDAP: a publisher finds a colleague or a directory group with
/// <c>GET /v1/users/remote</c> / <c>/v1/groups/remote</c> and adds it with the search's <c>temp_ticket</c>
/// (<c>PUT /v1/users</c> / <c>/v1/groups</c>), so an item is shared before anyone of them has signed in. Their sign-in
/// later finds what was made; a ticket nobody issued is refused.
/// </summary>
public sealed class LdapRemoteAccountsTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-ldap-remote");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Directory_users_and_groups_are_added_by_ticket_before_they_sign_in_and_their_sign_in_finds_them()
    {
        await using var slapd = await SlapdProcess.StartAsync(_folder,
        [
            new SlapdProcess.Person("alice", "alice-password", "analysts"),
            new SlapdProcess.Person("albert", "albert-password"),
            new SlapdProcess.Person("bob", "bob-password", "analysts"),
        ]);
        await using var node = NodeProcess.Start(_folder, "node", "[Authentication]\nProvider = ldap\n" + slapd.Section("Example directory", "Timeout = 2s"));
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);

        // Found by prefix in the directory; nobody here yet, so no guid.
        var found = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users/remote?prefix=al")).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["albert", "alice"], found.Select(u => u.GetProperty("username").GetString()).Order());
        var aliceFound = found.Single(u => u.GetProperty("username").GetString() == "alice");
        Assert.Equal(JsonValueKind.Null, aliceFound.GetProperty("guid").ValueKind);
        Assert.Equal("alice@example.org", aliceFound.GetProperty("email").GetString());
        // The prefix is only a prefix: a filter-shaped one finds nobody.
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users/remote?prefix=" + Uri.EscapeDataString("*)(uid=*"))).GetProperty("total").GetInt32());

        // Added by ticket: a directory user, the default role, no password here.
        var put = await admin.PutAsJsonAsync("__api__/v1/users", new { temp_ticket = aliceFound.GetProperty("temp_ticket").GetString() });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var alice = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("alice", alice.GetProperty("username").GetString());
        Assert.Equal("ldap", alice.GetProperty("provider").GetString());
        Assert.Equal("viewer", alice.GetProperty("user_role").GetString());
        // The same ticket again gives the same user; the search now shows her guid.
        var again = await (await admin.PutAsJsonAsync("__api__/v1/users", new { temp_ticket = aliceFound.GetProperty("temp_ticket").GetString() })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(alice.GetProperty("guid").GetString(), again.GetProperty("guid").GetString());
        var aliceAgain = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users/remote?prefix=alice")).GetProperty("results")[0];
        Assert.Equal(alice.GetProperty("guid").GetString(), aliceAgain.GetProperty("guid").GetString());

        // A ticket is the directory's word, sealed: one written or changed by the caller, or of the other kind, is refused.
        var ticket = aliceFound.GetProperty("temp_ticket").GetString()!;
        foreach (var forged in new[] { "", "not-a-ticket", ticket[..^4] + (ticket[^4..] == "AAAA" ? "BBBB" : "AAAA") })
        {
            var refused = await admin.PutAsJsonAsync("__api__/v1/users", new { temp_ticket = forged });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("__api__/v1/groups", new { temp_ticket = ticket })).StatusCode);

        // A directory group, added by ticket before any member signed in: origin ldap, no members yet.
        var analystsFound = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/groups/remote?prefix=ana")).GetProperty("results")[0];
        Assert.Equal("analysts", analystsFound.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Null, analystsFound.GetProperty("guid").ValueKind);
        var groupPut = await admin.PutAsJsonAsync("__api__/v1/groups", new { temp_ticket = analystsFound.GetProperty("temp_ticket").GetString() });
        Assert.True(groupPut.IsSuccessStatusCode, await groupPut.Content.ReadAsStringAsync());
        var analysts = await groupPut.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("ldap", analysts.GetProperty("origin").GetString());
        var analystsGuid = analysts.GetProperty("guid").GetString();
        Assert.Equal(0, (await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/groups/{analystsGuid}/members")).GetProperty("total").GetInt32());

        // Shared with the group and with alice before either signed in.
        var guid = await node.DeployAsync("analysis", TestBundles.StaticSite("for analysts only"), accessType: "acl");
        Assert.True((await admin.PostAsJsonAsync($"__api__/v1/content/{guid}/permissions",
            new { principal_guid = analystsGuid, principal_type = "group", role = "viewer" })).IsSuccessStatusCode);

        // Bob's first sign-in makes him a member of the group made before, and he opens the item.
        var bobCookies = new CookieContainer();
        using var bob = new HttpClient(new HttpClientHandler { CookieContainer = bobCookies, AllowAutoRedirect = false }) { BaseAddress = node.BaseUrl };
        Assert.Equal(HttpStatusCode.Redirect, (await SignInForm.SignInAsync(bob, "bob", "bob-password")).StatusCode);
        var page = await bob.GetAsync($"content/{guid}/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("for analysts only", await page.Content.ReadAsStringAsync());
        var groups = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/groups?prefix=analysts")).GetProperty("results");
        Assert.Equal(1, groups.GetArrayLength());

        // Alice's sign-in finds the user made for her (matched by her entry's id, not made twice).
        using var aliceBrowser = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = node.BaseUrl };
        Assert.Equal(HttpStatusCode.Redirect, (await SignInForm.SignInAsync(aliceBrowser, "alice", "alice-password")).StatusCode);
        var alices = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users?prefix=alice")).GetProperty("results");
        Assert.Equal(alice.GetProperty("guid").GetString(), Assert.Single(alices.EnumerateArray()).GetProperty("guid").GetString());

        // Adding them is in the audit log as the product names it.
        await Wait.UntilAsync(async () =>
        {
            var actions = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/audit_logs?limit=500")).GetProperty("results").EnumerateArray()
                .Select(e => $"{e.GetProperty("action").GetString()} {e.GetProperty("event_description").GetString()}").ToList();
            return actions.Contains("add_user PUT /__api__/v1/users") && actions.Contains("add_group PUT /__api__/v1/groups");
        }, "the remote additions to reach the audit log");

        // A viewer cannot search the directory.
        using var bobKey = node.ClientWithKey(await node.CreateKeyAsync("bob"));
        Assert.Equal(HttpStatusCode.Forbidden, (await bobKey.GetAsync("__api__/v1/users/remote?prefix=a")).StatusCode);

        // The directory gone: a clear 503, not an error page or a wait.
        await slapd.StopAsync();
        var down = await admin.GetAsync("__api__/v1/groups/remote?prefix=a");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Contains("directory cannot be reached", await down.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_the_LDAP_provider_remote_search_says_why()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);
        var refused = await admin.GetAsync("__api__/v1/users/remote?prefix=a");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Authentication.Provider = ldap", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("__api__/v1/groups", new { temp_ticket = "x" })).StatusCode);
    }
}
