using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Users;
using Connect.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Shared.Tests.Users;

public sealed class UserRepositoryTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Users_are_added_found_and_listed(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);
        await new SchemaMigrator(test.Database, NullLogger<SchemaMigrator>.Instance).MigrateAsync("test");
        var users = new UserRepository(test.Database);

        var added = await users.AddAsync("kim", UserRole.Publisher, "kim@example.com");
        await users.AddAsync("al", UserRole.Viewer);

        Assert.Null(added.Error);
        var kim = await users.FindAsync("kim");
        Assert.NotNull(kim);
        Assert.Equal(("kim", "kim@example.com", UserRole.Publisher), (kim.Username, kim.Email, kim.Role));
        Assert.Equal(added.User, kim);
        Assert.Equal(["al", "kim"], (await users.ListAsync()).Select(u => u.Username));
        Assert.Null(await users.FindAsync("nobody"));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_duplicate_or_invalid_name_is_refused_with_a_reason(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);
        await new SchemaMigrator(test.Database, NullLogger<SchemaMigrator>.Instance).MigrateAsync("test");
        var users = new UserRepository(test.Database);
        await users.AddAsync("kim", UserRole.Publisher);

        var duplicate = await users.AddAsync("kim", UserRole.Viewer);
        var invalid = await users.AddAsync("not a name", UserRole.Viewer);

        Assert.Contains("already exists", duplicate.Error);
        Assert.Contains("not a valid user name", invalid.Error);
        Assert.Single(await users.ListAsync());
    }
}
