using Connect.Shared.Users;

namespace Connect.Runtime.Authentication;

/// <summary>
/// On the very first start (no users at all) creates an <c>admin</c> administrator with an API key,
/// so a fresh server can be published to at once. The key is printed once in the log and written
/// to <c>{DataDir}/admin-api-key</c>, readable by the server's user only.
/// </summary>
internal static partial class AdminBootstrap
{
    public const string KeyFileName = "admin-api-key";

    public static async Task EnsureAdminAsync(UserRepository users, ApiKeyRepository keys, string dataDir, ILogger logger, CancellationToken cancellationToken)
    {
        if (await users.CountAsync(cancellationToken) > 0)
        {
            return;
        }

        // Two nodes starting on one empty database: the unique name lets exactly one of them create it.
        var added = await users.AddAsync("admin", UserRole.Administrator, cancellationToken: cancellationToken);
        if (added.User is null)
        {
            return;
        }

        var key = await keys.CreateAsync(added.User.Id, "created on first start", cancellationToken);
        var path = Path.Combine(dataDir, KeyFileName);
        // Created private, never chmod-ed afterwards: there is no moment when others could read it.
        File.Delete(path);
        await using (var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            await file.WriteAsync(System.Text.Encoding.UTF8.GetBytes(key + "\n"), cancellationToken);
        }

        LogCreated(logger, key, path);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning,
        Message = "Created the administrator 'admin' with API key {Key} (shown only this once; also in {Path}). Give it a password for signing in with: connect users passwd admin. Publish with rsconnect::connectApiUser(account = \"admin\", server = ..., apiKey = \"<key>\")")]
    private static partial void LogCreated(ILogger logger, string key, string path);
}
