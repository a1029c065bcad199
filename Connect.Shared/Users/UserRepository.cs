using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Users;

public enum UserRole
{
    Viewer,
    Publisher,
    Administrator,
}

public sealed record User(long Id, string Username, string? Email, UserRole Role, DateTimeOffset CreatedAt);

/// <summary>Outcome of adding a user: created, or why not.</summary>
public sealed record AddUserResult(User? User, string? Error);

public sealed class UserRepository(ConnectDatabase database)
{
    public async Task<AddUserResult> AddAsync(string username, UserRole role, string? email = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(username) || username.Length > 64 || !username.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            return new AddUserResult(null, $"'{username}' is not a valid user name (letters, digits, '_', '-', '.'; at most 64)");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long?>(database.Sql("""
            INSERT INTO users (username, email, role, created_at) VALUES (@Username, @Email, @Role, {{NOW}})
            ON CONFLICT (username) DO NOTHING
            RETURNING id
            """),
            new { Username = username, Email = email, Role = role.ToString().ToLowerInvariant() });
        return id is null
            ? new AddUserResult(null, $"a user named '{username}' already exists")
            : new AddUserResult(await FindAsync(username, cancellationToken), null);
    }

    public async Task<User?> FindAsync(string username, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(
            "SELECT id, username, email, role, created_at FROM users WHERE username = @username", new { username });
        return row?.ToUser();
    }

    public async Task<User?> FindAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(
            "SELECT id, username, email, role, created_at FROM users WHERE id = @id", new { id });
        return row?.ToUser();
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM users");
    }

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<UserRow>("SELECT id, username, email, role, created_at FROM users ORDER BY username");
        return rows.Select(r => r.ToUser()).ToList();
    }

    internal sealed class UserRow
    {
        public long Id { get; init; }
        public string Username { get; init; } = "";
        public string? Email { get; init; }
        public string Role { get; init; } = "";
        public long CreatedAt { get; init; }

        public User ToUser() => new(Id, Username, Email, Enum.Parse<UserRole>(Role, ignoreCase: true), DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
