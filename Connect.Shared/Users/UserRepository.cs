using Connect.Shared.Data;
using Dapper;
using Microsoft.AspNetCore.Identity;

namespace Connect.Shared.Users;

public enum UserRole
{
    Viewer,
    Publisher,
    Administrator,
}

public sealed record User(long Id, string Guid, string Username, string? Email, UserRole Role, bool Locked, DateTimeOffset CreatedAt)
{
    public bool IsAdministrator => Role == UserRole.Administrator;

    public bool CanPublish => Role is UserRole.Publisher or UserRole.Administrator;
}

/// <summary>Outcome of adding a user: created, or why not.</summary>
public sealed record AddUserResult(User? User, string? Error);

/// <summary>Outcome of a sign-in attempt; <see cref="User"/> is set only when it succeeded.</summary>
public enum SignInStatus
{
    SignedIn,
    WrongCredentials,
    Locked,
}

public sealed record SignInResult(SignInStatus Status, User? User);

/// <summary>
/// Users, their roles and passwords. Passwords are hashed with ASP.NET Core Identity's
/// <see cref="PasswordHasher{TUser}"/> (PBKDF2, salted, versioned so stronger settings can come later).
/// </summary>
public sealed class UserRepository(ConnectDatabase database)
{
    private const string SelectUser = "SELECT id, guid, username, email, role, locked, created_at FROM users";

    private static readonly PasswordHasher<string> Hasher = new();

    /// <summary>Shortest password accepted; long passphrases are welcome.</summary>
    public const int MinPasswordLength = 8;

    public static string? ValidateUsername(string? username) =>
        string.IsNullOrWhiteSpace(username) || username.Length > 64 || !username.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
            ? $"'{username}' is not a valid user name (letters, digits, '_', '-', '.'; at most 64)"
            : null;

    public static string? ValidatePassword(string? password) =>
        password is null || password.Length < MinPasswordLength || password.Length > 1024
            ? $"a password needs {MinPasswordLength} to 1024 characters"
            : null;

    public async Task<AddUserResult> AddAsync(string username, UserRole role, string? email = null, string? password = null, CancellationToken cancellationToken = default)
    {
        if ((ValidateUsername(username) ?? (password is null ? null : ValidatePassword(password))) is { } problem)
        {
            return new AddUserResult(null, problem);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(database.Sql("""
            INSERT INTO users (guid, username, email, role, password_hash, created_at) VALUES (@Guid, @Username, @Email, @Role, @Hash, {{NOW}})
            ON CONFLICT (username) DO NOTHING
            RETURNING id
            """),
            new
            {
                Guid = System.Guid.NewGuid().ToString(), Username = username, Email = email, Role = role.ToString().ToLowerInvariant(),
                Hash = password is null ? null : Hasher.HashPassword(username, password),
            }, cancellationToken: cancellationToken));
        return id is null
            ? new AddUserResult(null, $"a user named '{username}' already exists")
            : new AddUserResult(await FindAsync(id.Value, cancellationToken), null);
    }

    public async Task<User?> FindAsync(string username, CancellationToken cancellationToken = default) =>
        await QueryOneAsync(SelectUser + " WHERE username = @username", new { username }, cancellationToken);

    public async Task<User?> FindAsync(long id, CancellationToken cancellationToken = default) =>
        await QueryOneAsync(SelectUser + " WHERE id = @id", new { id }, cancellationToken);

    public async Task<User?> FindByGuidAsync(string guid, CancellationToken cancellationToken = default) =>
        await QueryOneAsync(SelectUser + " WHERE guid = @guid", new { guid }, cancellationToken);

    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM users", cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<UserRow>(new CommandDefinition(SelectUser + " ORDER BY username", cancellationToken: cancellationToken));
        return rows.Select(r => r.ToUser()).ToList();
    }

    /// <summary>Checks a password. A wrong name and a wrong password look the same to the caller.</summary>
    public async Task<SignInResult> CheckPasswordAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(long Id, string? PasswordHash)>(new CommandDefinition(
            "SELECT id, password_hash FROM users WHERE username = @username", new { username }, cancellationToken: cancellationToken));
        if (row.PasswordHash is null)
        {
            // Hash anyway, so that timing does not tell which user names exist.
            Hasher.VerifyHashedPassword(username, DummyHash, password);
            return new SignInResult(SignInStatus.WrongCredentials, null);
        }

        var verdict = Hasher.VerifyHashedPassword(username, row.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            return new SignInResult(SignInStatus.WrongCredentials, null);
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await SetPasswordAsync(username, password, cancellationToken);
        }

        var user = (await FindAsync(row.Id, cancellationToken))!;
        return user.Locked ? new SignInResult(SignInStatus.Locked, null) : new SignInResult(SignInStatus.SignedIn, user);
    }

    /// <summary>Sets a user's password; false when there is no such user.</summary>
    public async Task<bool> SetPasswordAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET password_hash = @hash WHERE username = @username",
            new { username, hash = Hasher.HashPassword(username, password) }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Locks or unlocks a user: a locked user's keys and sessions are refused everywhere.</summary>
    public async Task<bool> SetLockedAsync(long id, bool locked, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET locked = @locked WHERE id = @id", new { id, locked = locked ? 1 : 0 }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> SetEmailAsync(long id, string? email, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET email = @email WHERE id = @id", new { id, email }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> SetRoleAsync(long id, UserRole role, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET role = @role WHERE id = @id", new { id, role = role.ToString().ToLowerInvariant() }, cancellationToken: cancellationToken)) == 1;
    }

    private static readonly string DummyHash = Hasher.HashPassword("", Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));

    private async Task<User?> QueryOneAsync(string sql, object args, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
        return row?.ToUser();
    }

    internal sealed class UserRow
    {
        public long Id { get; init; }
        public string Guid { get; init; } = "";
        public string Username { get; init; } = "";
        public string? Email { get; init; }
        public string Role { get; init; } = "";
        public long Locked { get; init; }
        public long CreatedAt { get; init; }

        public User ToUser() => new(Id, Guid, Username, Email, Enum.Parse<UserRole>(Role, ignoreCase: true), Locked != 0, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
