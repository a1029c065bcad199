using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;

namespace Connect.E2E.Security;

/// <summary>
/// Two <c>[LDAP "NAME"]</c> sections, two real OpenLDAP servers (each with its own certificate authority): each
/// signs in its own people, searches cover both, and with one down the other still signs its people in while the
/// first one's people are told the directory is away (not that their password is wrong) and keep their keys.
/// </summary>
public sealed class LdapSeveralDirectoriesTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-ldap-several");

    public void Dispose() => _folder.Dispose();

    private HttpClient Browser(NodeProcess node) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = node.BaseUrl };

    [Fact]
    public async Task Each_directory_signs_in_its_people_and_one_down_leaves_the_other_working()
    {
        await using var north = await SlapdProcess.StartAsync(_folder, [new SlapdProcess.Person("alice", "alice-password", "analysts")]);
        await using var south = await SlapdProcess.StartAsync(_folder, [new SlapdProcess.Person("bob", "bob-password", "analysts")]);
        await using var node = NodeProcess.Start(_folder, "node", "[Authentication]\nProvider = ldap\n"
            + north.Section("North", "Timeout = 2s", "UserCheckInterval = 1s") + south.Section("South", "Timeout = 2s", "UserCheckInterval = 1s"));
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);

        // Alice is in the first directory, bob only in the second: both sign in, and both are in the one group.
        Assert.Equal(HttpStatusCode.Redirect, (await SignInForm.SignInAsync(Browser(node), "alice", "alice-password")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInForm.SignInAsync(Browser(node), "bob", "bob-password")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SignInForm.SignInAsync(Browser(node), "bob", "alice-password")).StatusCode);
        var analysts = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/groups?prefix=analysts")).GetProperty("results")[0].GetProperty("guid").GetString();
        var members = (await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/groups/{analysts}/members")).GetProperty("results").EnumerateArray();
        Assert.Equal(["alice", "bob"], members.Select(m => m.GetProperty("username").GetString()).Order());

        // A search covers both directories.
        var found = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users/remote?prefix=")).GetProperty("results").EnumerateArray();
        Assert.Equal(["alice", "bob"], found.Select(u => u.GetProperty("username").GetString()).Order());

        using var aliceKey = node.ClientWithKey(await node.CreateKeyAsync("alice"));
        using var bobKey = node.ClientWithKey(await node.CreateKeyAsync("bob"));

        // The first directory goes: bob still signs in through the second; alice is told it is away.
        await north.StopAsync();
        Assert.Equal(HttpStatusCode.Redirect, (await SignInForm.SignInAsync(Browser(node), "bob", "bob-password")).StatusCode);
        var away = await SignInForm.SignInAsync(Browser(node), "alice", "alice-password");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, away.StatusCode);
        Assert.Contains("cannot be reached", await away.Content.ReadAsStringAsync());

        // Keys: alice's holds, since the one that has her cannot be asked (her key's check is seen asking it); bob's
        // is vouched for by the second.
        int Unanswered() => node.Output.Split("did not answer").Length;
        var before = Unanswered();
        await Wait.UntilAsync(async () => (await aliceKey.GetAsync("__api__/v1/user")).StatusCode == HttpStatusCode.OK && Unanswered() > before,
            "alice's key to be checked while the directory that has her is away").ShowingOutputOf(node);
        Assert.False((await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users?prefix=alice")).GetProperty("results")[0].GetProperty("locked").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await aliceKey.GetAsync("__api__/v1/user")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bobKey.GetAsync("__api__/v1/user")).StatusCode);
    }

    [Fact]
    public async Task Every_section_is_checked_at_start_by_its_own_name()
    {
        await using var node = NodeProcess.Start(_folder, "node", """
            [Authentication]
            Provider = ldap
            [LDAP "North"]
            ServerAddress = north.example.com:389
            AnonymousBind = true
            UserSearchBaseDN = dc=example
            [LDAP "South"]
            ServerAddress = south.example.com
            AnonymousBind = true
            UserSearchBaseDN = dc=example
            """);
        Assert.NotEqual(0, await node.WaitForExitAsync());
        Assert.Contains("LDAP \"South\".ServerAddress", node.Output);
        Assert.DoesNotContain("LDAP \"North\".", node.Output);
    }
}
