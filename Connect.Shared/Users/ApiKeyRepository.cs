using System.Security.Cryptography;
using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Users;

/// <summary>An API key as listed: never the key itself, which only its creator saw once.</summary>
public sealed record ApiKey(long Id, long UserId, string Username, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A key just made: <see cref="Secret"/> is shown once and stored only as a hash.</summary>
public sealed record CreatedApiKey(long Id, string Secret);

/// <summary>
/// API keys: 32 random bytes shown to the user once, stored only as a SHA-256 hash. A key has
/// 256 bits of entropy, so a fast hash is as strong as a slow one here and lets every request
/// look its key up by hash in one indexed query.
/// </summary>
public sealed class ApiKeyRepository(ConnectDatabase database)
{
    private const string SelectKey = """
        SELECT k.id, k.user_id, u.username, k.name, k.created_at, k.last_used_at, k.revoked_at
        FROM api_keys k JOIN users u ON u.id = k.user_id
        """;

    public async Task<string> CreateAsync(long userId, string name, CancellationToken cancellationToken = default) =>
        (await CreateKeyAsync(userId, name, cancellationToken)).Secret;

    public async Task<CreatedApiKey> CreateKeyAsync(long userId, string name, CancellationToken cancellationToken = default)
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await using var connection = await database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            database.Sql("INSERT INTO api_keys (user_id, name, key_hash, created_at) VALUES (@userId, @name, @hash, {{NOW}}) RETURNING id"),
            new { userId, name, hash = Hash(key) }, cancellationToken: cancellationToken));
        return new CreatedApiKey(id, key);
    }

    /// <summary>The user a key belongs to, or null for an unknown or revoked key or a locked user.</summary>
    public async Task<User?> FindUserAsync(string key, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length > 256)
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<UserRepository.UserRow>(new CommandDefinition($"""
            SELECT {UserRepository.Columns}
            FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE k.key_hash = @hash AND k.revoked_at IS NULL AND u.locked = 0
            """, new { hash = Hash(key) }, cancellationToken: cancellationToken));
        return row?.ToUser();
    }

    /// <summary>Keys of one user (everyone's when null), revoked ones included.</summary>
    public async Task<IReadOnlyList<ApiKey>> ListAsync(long? userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            SelectKey + " WHERE (@userId IS NULL OR k.user_id = @userId) ORDER BY k.id", new { userId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToKey()).ToList();
    }

    public async Task<ApiKey?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(SelectKey + " WHERE k.id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToKey();
    }

    /// <summary>Revokes a key: every node refuses it from its next request on. False if it was not active.</summary>
    public async Task<bool> RevokeAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE api_keys SET revoked_at = {{NOW}} WHERE id = @id AND revoked_at IS NULL"), new { id }, cancellationToken: cancellationToken)) == 1;
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));

    private sealed class Row
    {
        public long Id { get; init; }
        public long UserId { get; init; }
        public string Username { get; init; } = "";
        public string Name { get; init; } = "";
        public long CreatedAt { get; init; }
        public long? LastUsedAt { get; init; }
        public long? RevokedAt { get; init; }

        public ApiKey ToKey() => new(Id, UserId, Username, Name, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
            LastUsedAt is { } used ? DateTimeOffset.FromUnixTimeMilliseconds(used) : null,
            RevokedAt is { } revoked ? DateTimeOffset.FromUnixTimeMilliseconds(revoked) : null);
    }
}
