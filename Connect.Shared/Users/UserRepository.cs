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

/// <param name="Provider">Who vouches for her: null for this server's own users, else <c>ldap</c>, <c>oauth2</c> or <c>proxy</c>.</param>
/// <param name="UniqueId">The provider's id of her, which never changes (the LDAP entry's UUID, the OpenID subject).</param>
/// <param name="CheckedAt">When her provider last vouched for her (a sign-in or a directory check); null for local users.</param>
public sealed record User(long Id, string Guid, string Username, string? Email, UserRole Role, bool Locked, DateTimeOffset CreatedAt, string? Provider = null, string? UniqueId = null,
    DateTimeOffset? CheckedAt = null)
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
    /// <summary>A user's columns, from <c>users u</c>, as <see cref="UserRow"/> reads them (joins use it too).</summary>
    internal const string Columns = "u.id, u.guid, u.username, u.email, u.role, u.locked, u.created_at, u.provider, u.unique_id, u.checked_at";

    private const string SelectUser = "SELECT " + Columns + " FROM users u";

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

    public async Task<AddUserResult> AddAsync(string username, UserRole role, string? email = null, string? password = null, CancellationToken cancellationToken = default) =>
        await AddAsync(username, role, email, password, provider: null, uniqueId: null, cancellationToken);

    /// <summary>Adds a user a sign-in provider vouches for (no password here), known by the provider's id of her.</summary>
    public async Task<AddUserResult> AddFromProviderAsync(string username, UserRole role, string? email, string provider, string uniqueId, CancellationToken cancellationToken = default) =>
        await AddAsync(username, role, email, password: null, provider, uniqueId, cancellationToken);

    private async Task<AddUserResult> AddAsync(string username, UserRole role, string? email, string? password, string? provider, string? uniqueId, CancellationToken cancellationToken)
    {
        if ((ValidateUsername(username) ?? (password is null ? null : ValidatePassword(password))) is { } problem)
        {
            return new AddUserResult(null, problem);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(database.Sql("""
            INSERT INTO users (guid, username, email, role, password_hash, created_at, provider, unique_id, checked_at)
            VALUES (@Guid, @Username, @Email, @Role, @Hash, {{NOW}}, @Provider, @UniqueId, CASE WHEN @Provider IS NULL THEN NULL ELSE {{NOW}} END)
            ON CONFLICT DO NOTHING
            RETURNING id
            """),
            new
            {
                Guid = System.Guid.NewGuid().ToString(), Username = username, Email = email, Role = role.ToString().ToLowerInvariant(),
                Hash = password is null ? null : Hasher.HashPassword(username, password), Provider = provider, UniqueId = uniqueId,
            }, cancellationToken: cancellationToken));
        return id is null
            ? new AddUserResult(null, $"a user named '{username}' already exists")
            : new AddUserResult(await FindAsync(id.Value, cancellationToken), null);
    }

    public async Task<User?> FindAsync(string username, CancellationToken cancellationToken = default) =>
        await QueryOneAsync(SelectUser + " WHERE username = @username", new { username }, cancellationToken);

    public async Task<User?> FindAsync(long id, CancellationToken cancellationToken = default) =>
        await QueryOneAsync(SelectUser + " WHERE id = @id", new { id }, cancellationToken);

    /// <summary>The user a provider knows by <paramref name="uniqueId"/>, whatever her name is now.</summary>
    public async Task<User?> FindByProviderAsync(string provider, string uniqueId, CancellationToken cancellationToken = default) =>
        await QueryOneAsync(SelectUser + " WHERE provider = @provider AND unique_id = @uniqueId", new { provider, uniqueId }, cancellationToken);

    /// <summary>Renames a user (her provider renamed her); false when the name is taken.</summary>
    public async Task<bool> RenameAsync(long id, string username, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var taken = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM users WHERE username = @username AND id <> @id", new { id, username }, cancellationToken: cancellationToken));
        return taken == 0 && await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE users SET username = @username WHERE id = @id", new { id, username }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task MarkCheckedAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(database.Sql("UPDATE users SET checked_at = {{NOW}} WHERE id = @id"), new { id }, cancellationToken: cancellationToken));
    }

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

    /// <summary>Sets a user's password; false when there is no such user here (a provider's users have none).</summary>
    public async Task<bool> SetPasswordAsync(string username, string password, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            // A provider's user signs in through it: a password here would be a second way in it does not know of.
            "UPDATE users SET password_hash = @hash WHERE username = @username AND provider IS NULL",
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
        public string? Provider { get; init; }
        public string? UniqueId { get; init; }
        public long? CheckedAt { get; init; }

        public User ToUser() => new(Id, Guid, Username, Email, Enum.Parse<UserRole>(Role, ignoreCase: true), Locked != 0, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), Provider, UniqueId,
            CheckedAt is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null);
    }
}
