using Connect.Shared.Operations;
using System.CommandLine;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Users;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Runtime.CommandLine;

/// <summary><c>connect users ...</c> and <c>connect keys ...</c>: managing who may sign in and publish, from the shell.</summary>
internal static class UserCommands
{
    public static Command Users(string[] args, TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var users = new Command("users", "Add, list, lock and unlock users, and set their passwords");

        var name = new Argument<string>("NAME") { Description = "The user's name" };
        var role = new Option<string>("--role") { Description = "The user's role", DefaultValueFactory = _ => "publisher" };
        role.AcceptOnlyFromAmong("administrator", "publisher", "viewer");
        var email = new Option<string?>("--email") { Description = "The user's e-mail address", HelpName = "ADDRESS" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read a password for signing in from the first line of standard input" };

        var add = new Command("add", "Add a user (a publisher unless --role says otherwise)") { name, role, email, passwordStdin };
        add.SetAction(async (parsed, ct) => await WithDatabaseAsync(args, stderr, async database =>
        {
            string? password = null;
            if (parsed.GetValue(passwordStdin) && (password = await ReadPasswordAsync(stdin, stderr)) is null)
            {
                return ExitCodes.Usage;
            }

            var added = await new UserRepository(database).AddAsync(parsed.GetValue(name)!, Enum.Parse<UserRole>(parsed.GetValue(role)!, ignoreCase: true),
                parsed.GetValue(email), password, ct);
            if (added.User is null)
            {
                await stderr.WriteLineAsync($"connect: {added.Error}");
                return ExitCodes.Failed;
            }

            await stdout.WriteLineAsync($"added {added.User.Username} ({added.User.Role.ToString().ToLowerInvariant()}), id {added.User.Id}, guid {added.User.Guid}");
            await AuditAsync(database, "add_user", $"user {added.User.Username} as {added.User.Role}", ct);
            return ExitCodes.Ok;
        }));
        users.Subcommands.Add(add);

        var list = new Command("list", "List the users: id, name, role, state, e-mail, and what they sign in with (local: a password here)");
        list.SetAction(async (_, ct) => await WithDatabaseAsync(args, stderr, async database =>
        {
            foreach (var user in await new UserRepository(database).ListAsync(ct))
            {
                await stdout.WriteLineAsync($"{user.Id}\t{user.Username}\t{user.Role.ToString().ToLowerInvariant()}\t{(user.Locked ? "locked" : "active")}\t{user.Email}\t{user.Provider ?? "local"}");
            }

            return ExitCodes.Ok;
        }));
        users.Subcommands.Add(list);

        var passwd = new Command("passwd", "Set a user's password, read from the first line of standard input") { name };
        passwd.SetAction(async (parsed, ct) => await WithDatabaseAsync(args, stderr, async database =>
        {
            if (await ReadPasswordAsync(stdin, stderr) is not { } password)
            {
                return ExitCodes.Usage;
            }

            if (!await new UserRepository(database).SetPasswordAsync(parsed.GetValue(name)!, password, ct))
            {
                await stderr.WriteLineAsync($"connect: there is no user '{parsed.GetValue(name)}' with a password here (a sign-in provider's users have none)");
                return ExitCodes.Failed;
            }

            await stdout.WriteLineAsync($"password set for {parsed.GetValue(name)}");
            await AuditAsync(database, "update_user", $"password of {parsed.GetValue(name)} set", ct);
            return ExitCodes.Ok;
        }));
        users.Subcommands.Add(passwd);

        foreach (var (verb, locked) in new[] { ("lock", true), ("unlock", false) })
        {
            var command = new Command(verb, locked ? "Lock a user: every node refuses their keys and sessions within a second" : "Unlock a user") { name };
            command.SetAction(async (parsed, ct) => await WithDatabaseAsync(args, stderr, async database =>
            {
                var repository = new UserRepository(database);
                if (await repository.FindAsync(parsed.GetValue(name)!, ct) is not { } user)
                {
                    await stderr.WriteLineAsync($"connect: there is no user '{parsed.GetValue(name)}'");
                    return ExitCodes.Failed;
                }

                await repository.SetLockedAsync(user.Id, locked, ct);
                await stdout.WriteLineAsync($"{user.Username} is {(locked ? "locked" : "unlocked")}");
                await AuditAsync(database, "lock_user", $"user {user.Username} {(locked ? "locked" : "unlocked")}", ct);
                return ExitCodes.Ok;
            }));
            users.Subcommands.Add(command);
        }

        return users;
    }

    public static Command Keys(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var keys = new Command("keys", "Create, list and revoke API keys");
        var user = new Option<string>("--user") { Description = "The user the key belongs to", HelpName = "NAME", Required = true };
        var label = new Option<string>("--name") { Description = "A label for the key", HelpName = "LABEL", DefaultValueFactory = _ => "created with connect keys create" };

        var create = new Command("create", "Create an API key for a user and print it (it is shown only this once)") { user, label };
        create.SetAction(async (parsed, ct) => await WithDatabaseAsync(args, stderr, async database =>
        {
            var username = parsed.GetValue(user)!;
            if (await new UserRepository(database).FindAsync(username, ct) is not { } owner)
            {
                await stderr.WriteLineAsync($"connect: there is no user '{username}' (add one with: connect users add {username})");
                return ExitCodes.Failed;
            }

            await stdout.WriteLineAsync(await new ApiKeyRepository(database).CreateAsync(owner.Id, parsed.GetValue(label)!, ct));
            await AuditAsync(database, "add_api_key", $"API key '{parsed.GetValue(label)}' of {owner.Username}", ct);
            return ExitCodes.Ok;
        }));
        keys.Subcommands.Add(create);

        var listUser = new Option<string?>("--user") { Description = "Only this user's keys", HelpName = "NAME" };
        var list = new Command("list", "List API keys (never the keys themselves): id, user, label, created, state") { listUser };
        list.SetAction(async (parsed, ct) => await WithDatabaseAsync(args, stderr, async database =>
        {
            long? userId = null;
            if (parsed.GetValue(listUser) is { } username)
            {
                if (await new UserRepository(database).FindAsync(username, ct) is not { } owner)
                {
                    await stderr.WriteLineAsync($"connect: there is no user '{username}'");
                    return ExitCodes.Failed;
                }

                userId = owner.Id;
            }

            foreach (var key in await new ApiKeyRepository(database).ListAsync(userId, ct))
            {
                await stdout.WriteLineAsync($"{key.Id}\t{key.Username}\t{key.Name}\t{key.CreatedAt:u}\t{(key.RevokedAt is { } at ? $"revoked {at:u}" : "active")}");
            }

            return ExitCodes.Ok;
        }));
        keys.Subcommands.Add(list);

        var id = new Argument<long>("ID") { Description = "The key's id, as 'connect keys list' shows it" };
        var revoke = new Command("revoke", "Revoke an API key: every node refuses it within a second") { id };
        revoke.SetAction(async (parsed, ct) => await WithDatabaseAsync(args, stderr, async database =>
        {
            if (!await new ApiKeyRepository(database).RevokeAsync(parsed.GetValue(id), ct))
            {
                await stderr.WriteLineAsync($"connect: there is no active API key {parsed.GetValue(id)}");
                return ExitCodes.Failed;
            }

            await stdout.WriteLineAsync($"revoked key {parsed.GetValue(id)}");
            await AuditAsync(database, "remove_api_key", $"API key {parsed.GetValue(id)} revoked", ct);
            return ExitCodes.Ok;
        }));
        keys.Subcommands.Add(revoke);
        return keys;
    }

    /// <summary>The first line of standard input, checked; null (after saying why) when it will not do.</summary>
    private static async Task<string?> ReadPasswordAsync(TextReader stdin, TextWriter stderr)
    {
        var password = (await stdin.ReadLineAsync())?.TrimEnd('\r');
        if (UserRepository.ValidatePassword(password) is { } problem)
        {
            await stderr.WriteLineAsync($"connect: {problem} (on the first line of standard input)");
            return null;
        }

        return password;
    }

    /// <summary>Opens the configured database (migrating it, as a starting node would) and runs <paramref name="action"/>.</summary>
    private static Task<int> WithDatabaseAsync(string[] args, TextWriter stderr, Func<ConnectDatabase, Task<int>> action) =>
        ConnectCommand.WithConfigAsync(args, stderr, async options =>
        {
            await using var database = ConnectDatabase.Create(options);
            try
            {
                var schema = await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(options.Node.Name);
                if (schema.Status == MigrationStatus.DatabaseIsNewer)
                {
                    await stderr.WriteLineAsync($"connect: {schema.Describe()}");
                    return ExitCodes.SchemaTooNew;
                }

                return await action(database);
            }
            catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
            {
                await stderr.WriteLineAsync($"connect: cannot use the database ({database.Description}): {e.Message}");
                return ExitCodes.Failed;
            }
        });

    /// <summary>
    /// Records a change made from the shell in the audit log, as the API's and the dashboard's are, with the system
    /// user who ran the command (there is no Connect user behind a shell). Never a secret: no password, no key.
    /// </summary>
    private static Task AuditAsync(ConnectDatabase database, string action, string description, CancellationToken cancellationToken) =>
        new Connect.Shared.Usage.UsageRepository(database).AddAsync([], [],
            [new Connect.Shared.Usage.AuditEntry(null, $"{Environment.UserName} (command line)", action, $"{description} (with the connect command)", DateTimeOffset.UtcNow)],
            cancellationToken);
}
