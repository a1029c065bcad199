using Connect.Shared.Configuration;
using Connect.Shared.Users;
using Dapper;

namespace Connect.Shared.Tests.Users;

public sealed class ApiKeyRepositoryTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_key_finds_its_user_and_only_its_hash_is_stored(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var kim = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Publisher)).User!;
        var keys = new ApiKeyRepository(test.Database);

        var key = await keys.CreateAsync(kim.Id, "laptop");

        Assert.Equal(64, key.Length);
        Assert.Equal(kim, await keys.FindUserAsync(key));
        Assert.Null(await keys.FindUserAsync(key[..^1] + (key[^1] == '0' ? '1' : '0')));
        Assert.Null(await keys.FindUserAsync(""));
        await using var connection = await test.Database.OpenAsync();
        var stored = await connection.ExecuteScalarAsync<string>("SELECT key_hash FROM api_keys");
        Assert.NotEqual(key, stored);
        Assert.Equal(ApiKeyRepository.Hash(key), stored);
    }
}
