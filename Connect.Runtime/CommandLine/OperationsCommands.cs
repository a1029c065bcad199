using System.CommandLine;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Operations;

namespace Connect.Runtime.CommandLine;

/// <summary>The lifecycle verbs: moving a single node's database to PostgreSQL, backup and restore.</summary>
internal static class OperationsCommands
{
    /// <summary>The requirement's words (§6.4), given to anyone who asks for the way back.</summary>
    public const string NoWayBack =
        "moving from PostgreSQL back to SQLite is not supported: SQLite serves one node only, and the product this server models " +
        "does not support migrating from PostgreSQL back to SQLite either. A single node can keep using PostgreSQL.";

    public static Command MigrateDatabase(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var to = new Option<string>("--to") { Description = "The provider to move to: postgres", HelpName = "PROVIDER", Required = true };
        to.AcceptOnlyFromAmong("postgres", "sqlite");
        var dryRun = new Option<bool>("--dry-run") { Description = "Check everything and print the plan and row counts; change nothing" };
        var replace = new Option<bool>("--replace") { Description = "Empty a target database that already holds data (otherwise it is refused)" };
        var command = new Command(
            "migrate-database",
            "Move this node's SQLite database into the [Postgres] database (every node stopped), verified table by table")
        { to, dryRun, replace };
        command.SetAction(async (parsed, ct) => await ConnectCommand.WithConfigAsync(args, stderr, async options =>
        {
            if (parsed.GetValue(to) == "sqlite")
            {
                await stderr.WriteLineAsync($"connect: {NoWayBack}");
                return ExitCodes.Failed;
            }

            var sqlitePath = Path.Combine(options.DatabaseDir, "connect.db");
            if (!File.Exists(sqlitePath) || new FileInfo(sqlitePath).Length == 0)
            {
                await stderr.WriteLineAsync($"connect: there is no SQLite database at {sqlitePath} (Database.Dir) to move.");
                return ExitCodes.Failed;
            }

            if (string.IsNullOrWhiteSpace(options.Postgres.URL))
            {
                await stderr.WriteLineAsync("connect: Postgres.URL is not set: name the PostgreSQL database to move into in the [Postgres] section.");
                return ExitCodes.Usage;
            }

            PostgresDatabase target;
            try
            {
                target = PostgresDatabase.FromOptions(options.Postgres);
            }
            catch (InvalidOperationException e)
            {
                await stderr.WriteLineAsync($"connect: {e.Message}");
                return ExitCodes.Usage;
            }

            await using var source = new SqliteDatabase(sqlitePath);
            await using var targetDatabase = target;
            var move = new DatabaseMove(source, target, stdout);
            try
            {
                if (parsed.GetValue(dryRun))
                {
                    var plan = await move.PlanAsync(ct);
                    var blocked = plan.Any(t => t.TargetRows > 0) && !parsed.GetValue(replace);
                    await stdout.WriteLineAsync(blocked
                        ? "dry run: the target already holds data, so a move would be refused without --replace; nothing was changed."
                        : $"dry run: {plan.Sum(t => t.SourceRows):N0} rows would be copied; nothing was changed.");
                    return ExitCodes.Ok;
                }

                await move.RunAsync(parsed.GetValue(replace), ct);
                return ExitCodes.Ok;
            }
            catch (DatabaseMoveRefused e)
            {
                await stderr.WriteLineAsync($"connect: {e.Message}");
                return ExitCodes.Failed;
            }
            catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
            {
                await stderr.WriteLineAsync($"connect: cannot reach a database: {e.Message}; nothing was committed.");
                return ExitCodes.Failed;
            }
        }));
        return command;
    }

    public static Command Backup(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var output = new Option<string>("--out") { Description = "A new (or empty) folder for the backup", HelpName = "DIR", Required = true };
        var since = new Option<string?>("--since")
        {
            Description = "An earlier backup: bundle files it holds unchanged are not copied again (a restore then needs it too)",
            HelpName = "BACKUP",
        };
        var command = new Command("backup", "Back up the database and the data directory together, consistently, while viewers are served") { output, since };
        command.SetAction(async (parsed, ct) => await ConnectCommand.WithConfigAsync(args, stderr, async options =>
        {
            await using var database = ConnectDatabase.Create(options);
            return await RefusalsAsync(stderr, () => new Operations.Backup(options, database, stdout).RunAsync(parsed.GetValue(output)!, parsed.GetValue(since), ct));
        }));
        return command;
    }

    public static Command Restore(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var from = new Option<string>("--from") { Description = "A backup made by connect backup", HelpName = "DIR", Required = true };
        var command = new Command("restore", "Check a backup file by file, then restore it into the configured (empty) database and data directory") { from };
        command.SetAction(async (parsed, ct) => await ConnectCommand.WithConfigAsync(args, stderr, async options =>
        {
            await using var database = ConnectDatabase.Create(options);
            return await RefusalsAsync(stderr, () => new Operations.Restore(options, database, stdout).RunAsync(parsed.GetValue(from)!, ct));
        }));
        return command;
    }

    /// <summary>Runs a backup or restore; a refusal, an unreachable database or a failed tool is one line and exit code 1.</summary>
    private static async Task<int> RefusalsAsync(TextWriter stderr, Func<Task> work)
    {
        try
        {
            await work();
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is Operations.BackupRefused or InvalidOperationException or IOException or UnauthorizedAccessException || DatabaseErrors.IsConnectionProblem(e))
        {
            await stderr.WriteLineAsync($"connect: {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
