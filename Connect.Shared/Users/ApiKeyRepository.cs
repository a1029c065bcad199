using System.Security.Cryptography;
using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Users;

/// <summary>
/// API keys: 32 random bytes shown to the user once, stored only as a SHA-256 hash. A key has
/// 256 bits of entropy, so a fast hash is as strong as a slow one here and lets every request
/// look its key up by hash in one indexed query.
/// </summary>
public sealed class ApiKeyRepository(ConnectDatabase database)
{
    public async Task<string> CreateAsync(long userId, string name, CancellationToken cancellationToken = default)
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            database.Sql("INSERT INTO api_keys (user_id, name, key_hash, created_at) VALUES (@userId, @name, @hash, {{NOW}})"),
            new { userId, name, hash = Hash(key) });
        return key;
    }

    /// <summary>The user a key belongs to, or null for an unknown key or a locked user.</summary>
    public async Task<User?> FindUserAsync(string key, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length > 256)
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<UserRepository.UserRow>("""
            SELECT u.id, u.username, u.email, u.role, u.created_at
            FROM api_keys k JOIN users u ON u.id = k.user_id
            WHERE k.key_hash = @hash AND u.locked = 0
            """, new { hash = Hash(key) });
        return row?.ToUser();
    }

    internal static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));
}
