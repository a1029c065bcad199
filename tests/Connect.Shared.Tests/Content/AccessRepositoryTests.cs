using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Security;
using Connect.Shared.Users;
using Connect.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Connect.Shared.Tests.Content;

/// <summary>Permissions, groups, visibility and encrypted environment values, on both databases.</summary>
public sealed class AccessRepositoryTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_user_holds_the_strongest_role_given_directly_or_through_a_group(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var users = new UserRepository(test.Database);
        var owner = (await users.AddAsync("olga", UserRole.Publisher)).User!;
        var ann = (await users.AddAsync("ann", UserRole.Viewer)).User!;
        var bob = (await users.AddAsync("bob", UserRole.Publisher)).User!;
        var cy = (await users.AddAsync("cy", UserRole.Viewer)).User!;
        var contents = new ContentRepository(test.Database);
        var permissions = new PermissionRepository(test.Database);
        var groups = new GroupRepository(test.Database);
        var item = (await contents.CreateAsync(owner.Id, "shared", null)).Content!;
        var open = (await contents.CreateAsync(owner.Id, "open", null)).Content!;
        Assert.Empty(await permissions.ListAsync(item.Id)); // an empty list reads as one (SQLite once typed its GUID column as a blob)
        await contents.SetAccessTypeAsync(open.Id, AccessTypes.LoggedIn);
        var team = (await groups.CreateAsync("team", owner.Id))!;
        await groups.AddMemberAsync(team.Id, bob.Id);

        var viewer = await permissions.AddAsync(item.Id, PrincipalTypes.User, ann.Id, ContentRoles.Viewer);
        await permissions.AddAsync(item.Id, PrincipalTypes.Group, team.Id, ContentRoles.Owner);
        var again = await permissions.AddAsync(item.Id, PrincipalTypes.User, ann.Id, ContentRoles.Owner);

        Assert.Equal((ann.Guid, "user", "viewer"), (viewer!.PrincipalGuid, viewer.PrincipalType, viewer.Role));
        Assert.Null(again);
        Assert.Equal(ContentRoles.Viewer, await contents.RoleOfAsync(item.Id, ann.Id));
        Assert.Equal(ContentRoles.Owner, await contents.RoleOfAsync(item.Id, bob.Id));
        Assert.Null(await contents.RoleOfAsync(item.Id, cy.Id));
        Assert.Equal(["shared", "open"], (await contents.ListVisibleAsync(ann.Id)).Select(c => c.Name));
        Assert.Equal(["open"], (await contents.ListVisibleAsync(cy.Id)).Select(c => c.Name));
        Assert.Equal(AccessTypes.Acl, (await contents.GetAsync(item.Id))!.AccessType);

        await groups.DeleteAsync(team.Id);
        Assert.Null(await contents.RoleOfAsync(item.Id, bob.Id));
        Assert.Single(await permissions.ListAsync(item.Id));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Environment_values_are_stored_encrypted_and_read_back_by_any_process_sharing_the_key_ring(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var owner = (await new UserRepository(test.Database).AddAsync("olga", UserRole.Publisher)).User!;
        var contents = new ContentRepository(test.Database);
        var item = (await contents.CreateAsync(owner.Id, "secretive", null)).Content!;
        using var folder = new TempDirectory("connect-key");
        var options = new ConnectOptions { Server = new ServerOptions { DataDir = folder.File("data"), SecretKeyFile = folder.File("connect.key") } };
        IDataProtectionProvider KeyRing()
        {
            var services = new ServiceCollection().AddSingleton(test.Database).AddConnectDataProtection(options).BuildServiceProvider();
            return services.GetRequiredService<IDataProtectionProvider>();
        }

        var result = await new ContentEnvironment(contents, KeyRing()).ChangeAsync(item.Id, new Dictionary<string, string?> { ["TOKEN"] = "s3cret" }, replace: false, CancellationToken.None);
        var stored = await contents.GetEnvironmentAsync(item.Id);
        var readElsewhere = await new ContentEnvironment(contents, KeyRing()).ValuesAsync(item.Id, CancellationToken.None);

        Assert.True(result.Applied, result.Error);
        Assert.DoesNotContain("s3cret", stored["TOKEN"]);
        Assert.Equal("s3cret", readElsewhere["TOKEN"]);
    }
}
