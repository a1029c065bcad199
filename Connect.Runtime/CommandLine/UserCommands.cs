using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Users;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Runtime.CommandLine;

/// <summary><c>connect users ...</c> and <c>connect keys ...</c>: managing who may publish, from the shell.</summary>
internal static class UserCommands
{
    public static async Task<int> RunAsync(string verb, string[] args, ConnectOptions options, TextWriter stdout, TextWriter stderr)
    {
        var words = Positional(args);
        var action = words.ElementAtOrDefault(1);
        await using var database = ConnectDatabase.Create(options);
        try
        {
            // Like a starting node, a command may be the first to touch the database.
            var schema = await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(options.Node.Name);
            if (schema.Status == MigrationStatus.DatabaseIsNewer)
            {
                await stderr.WriteLineAsync($"connect: {schema.Describe()}");
                return ExitCodes.SchemaTooNew;
            }

            var users = new UserRepository(database);
            switch (verb, action)
            {
                case ("users", "add") when words.ElementAtOrDefault(2) is { } name:
                    if (!Enum.TryParse<UserRole>(Option(args, "--role") ?? "publisher", ignoreCase: true, out var role) || !Enum.IsDefined(role))
                    {
                        await stderr.WriteLineAsync($"connect: unknown role '{Option(args, "--role")}' (administrator, publisher or viewer)");
                        return ExitCodes.Usage;
                    }

                    var added = await users.AddAsync(name, role, Option(args, "--email"));
                    if (added.User is null)
                    {
                        await stderr.WriteLineAsync($"connect: {added.Error}");
                        return ExitCodes.Failed;
                    }

                    await stdout.WriteLineAsync($"added {added.User.Username} ({added.User.Role.ToString().ToLowerInvariant()}), id {added.User.Id}");
                    return ExitCodes.Ok;

                case ("users", "list"):
                    foreach (var user in await users.ListAsync())
                    {
                        await stdout.WriteLineAsync($"{user.Id}\t{user.Username}\t{user.Role.ToString().ToLowerInvariant()}\t{user.Email}");
                    }

                    return ExitCodes.Ok;

                case ("keys", "create") when Option(args, "--user") is { } username:
                    var owner = await users.FindAsync(username);
                    if (owner is null)
                    {
                        await stderr.WriteLineAsync($"connect: there is no user '{username}' (add one with: connect users add {username})");
                        return ExitCodes.Failed;
                    }

                    var key = await new ApiKeyRepository(database).CreateAsync(owner.Id, Option(args, "--name") ?? "created with connect keys create");
                    await stdout.WriteLineAsync(key);
                    return ExitCodes.Ok;

                default:
                    await stderr.WriteLineAsync($"connect: usage: connect users add NAME [--role ROLE] | connect users list | connect keys create --user NAME");
                    return ExitCodes.Usage;
            }
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            await stderr.WriteLineAsync($"connect: cannot use the database ({database.Description}): {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }

    /// <summary>The words that are neither options nor their values.</summary>
    private static List<string> Positional(string[] args) =>
        args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToList();
}
