using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Security;
using Connect.Shared.Users;
using Connect.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Shared.Tests.Users;

/// <summary>Users and groups a sign-in provider vouches for, on both databases.</summary>
public sealed class ProviderUsersTests
{
    private static ConnectOptions Options() => new()
    {
        Authorization = { PublisherRoleMapping = "publishers", AdministratorRoleMapping = "admins" },
    };

    private static async Task<(UserRepository Users, GroupRepository Groups, ProviderUsers Providers)> StoresAsync(ConnectDatabase database)
    {
        await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync("test");
        var (users, groups) = (new UserRepository(database), new GroupRepository(database));
        return (users, groups, new ProviderUsers(users, groups, Options(), NullLogger<ProviderUsers>.Instance));
    }

    private static ProviderIdentity Ann(string name = "ann", params string[] groups) =>
        new("oauth2", "subject-ann", name, "ann@example.org", groups, ProvisionGroups: true);

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_provider_user_is_made_once_matched_by_her_id_renamed_and_given_her_groups(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);
        var (users, groups, providers) = await StoresAsync(test.Database);

        var first = (await providers.SignInAsync(Ann("ann", "analysts", "publishers"), CancellationToken.None)).User!;
        Assert.Equal((UserRole.Publisher, "oauth2", "subject-ann"), (first.Role, first.Provider, first.UniqueId));
        var analysts = (await groups.ListAsync()).Single(g => g.Name == "analysts");
        Assert.Equal("oauth2", analysts.Provider);
        Assert.Equal(["ann"], (await groups.MembersAsync(analysts.Id)).Select(u => u.Username));

        // Renamed and out of "analysts" at the provider: the same user, under the new name, out of the group.
        var again = (await providers.SignInAsync(Ann("ann.lee", "admins"), CancellationToken.None)).User!;
        Assert.Equal(first.Guid, again.Guid);
        Assert.Equal(("ann.lee", UserRole.Administrator), (again.Username, again.Role));
        Assert.Empty(await groups.MembersAsync(analysts.Id));
        Assert.Single(await users.ListAsync());

        // A provider's user has no password here, and cannot be given one.
        Assert.False(await users.SetPasswordAsync("ann.lee", "a long password"));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_provider_can_take_neither_a_local_name_nor_a_local_group(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);
        var (users, groups, providers) = await StoresAsync(test.Database);
        var admin = (await users.AddAsync("admin", UserRole.Administrator, password: "a long password")).User!;
        var staff = (await groups.CreateAsync("staff", admin.Id))!;

        var impostor = await providers.SignInAsync(new ProviderIdentity("ldap", "some-uuid", "admin", null, [], true), CancellationToken.None);
        Assert.Null(impostor.User);
        Assert.Contains("belongs to another account", impostor.Problem);

        var ann = (await providers.SignInAsync(Ann("ann", "staff"), CancellationToken.None)).User!;
        Assert.Empty(await groups.MembersAsync(staff.Id));
        Assert.Null((await groups.GetAsync(staff.Id))!.Provider);

        // Locked here, she stays out whatever the provider says.
        await users.SetLockedAsync(ann.Id, true);
        Assert.Null((await providers.SignInAsync(Ann(), CancellationToken.None)).User);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_provider_group_added_before_its_members_sign_in_is_made_once_and_filled_at_their_sign_in(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);
        var (users, groups, providers) = await StoresAsync(test.Database);
        var admin = (await users.AddAsync("admin", UserRole.Administrator, password: "a long password")).User!;
        await groups.CreateAsync("staff", admin.Id);

        var analysts = (await groups.AddFromProviderAsync("analysts", "oauth2"))!;
        Assert.Equal(("analysts", "oauth2"), (analysts.Name, analysts.Provider));
        Assert.Equal(analysts.Guid, (await groups.AddFromProviderAsync("analysts", "oauth2"))!.Guid);
        // A local group's name, or another provider's group, is not handed over.
        Assert.Null(await groups.AddFromProviderAsync("staff", "oauth2"));
        Assert.Null(await groups.AddFromProviderAsync("analysts", "ldap"));

        await providers.SignInAsync(Ann("ann", "analysts"), CancellationToken.None);
        Assert.Equal(["ann"], (await groups.MembersAsync(analysts.Id)).Select(u => u.Username));
        Assert.Single(await groups.ListAsync(), g => g.Name == "analysts");
    }
}
