using Connect.Shared.Cluster;
using Connect.Shared.Operations;
using System.CommandLine;
using Connect.Runtime.Hosting;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Runtime.CommandLine;

/// <summary>
/// The <c>connect</c> command line, on System.CommandLine: help is generated, <c>--x=y</c> works, and
/// an unknown verb or option or a bad value is an error (exit code 2) that names it, before anything
/// is loaded or started.
/// </summary>
internal static class ConnectCommand
{
    /// <summary><c>--config PATH</c>, accepted by every verb.</summary>
    public static readonly Option<string?> Config = new("--config")
    {
        Description = "Configuration file (gcfg). Default: $CONNECT_CONFIG, else built-in defaults. Any key may be overridden with CONNECT_<SECTION>_<KEY>.",
        HelpName = "PATH",
        Recursive = true,
    };

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var root = Build(args, stdout, stderr, stdin);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await stderr.WriteLineAsync($"connect: {error.Message}");
            }

            await stderr.WriteLineAsync("Run 'connect --help' (or 'connect <verb> --help') for usage.");
            return ExitCodes.Usage;
        }

        // The node handles SIGTERM itself (draining, deregistering); System.CommandLine must not.
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null });
    }

    private static RootCommand Build(string[] args, TextWriter stdout, TextWriter stderr, TextReader stdin)
    {
        var root = new RootCommand("Connect: publishes Shiny apps, R Markdown documents and Plumber APIs; one node on SQLite or a cluster on PostgreSQL.");
        root.Options.Add(Config);

        var run = new Command("run", "Start this node: HTTP server, workers, schedules (migrates an older schema first)");
        run.SetAction(async (_, _) => await WithConfigAsync(args, stderr, options => NodeHost.RunAsync(options, stderr)));
        root.Subcommands.Add(run);

        var migrate = new Command("migrate", "Bring the database schema up to this binary's version, then exit");
        migrate.SetAction(async (_, _) => await WithConfigAsync(args, stderr, options => MigrateAsync(options, stdout, stderr)));
        root.Subcommands.Add(migrate);
        root.Subcommands.Add(OperationsCommands.MigrateDatabase(args, stdout, stderr));
        root.Subcommands.Add(OperationsCommands.Backup(args, stdout, stderr));
        root.Subcommands.Add(OperationsCommands.Restore(args, stdout, stderr));

        root.Subcommands.Add(UserCommands.Users(args, stdout, stderr, stdin));
        root.Subcommands.Add(UserCommands.Keys(args, stdout, stderr));

        var version = new Command("version", "Print this binary's version and the schema version it knows");
        version.SetAction(_ =>
        {
            stdout.WriteLine($"connect {NodeVersion.Current} (schema {Migrations.Latest}; serves the product's API of version {NodeVersion.ProductApi})");
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(version);

        var help = new Command("help", "Show this text");
        help.SetAction(_ => root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr }));
        root.Subcommands.Add(help);
        return root;
    }

    /// <summary>Loads and validates the configuration, then runs <paramref name="action"/>; a bad configuration is exit code 2.</summary>
    public static async Task<int> WithConfigAsync(string[] args, TextWriter stderr, Func<ConnectOptions, Task<int>> action)
    {
        var config = ConfigurationLoader.Load(args);
        if (!config.IsValid)
        {
            await stderr.WriteLineAsync($"connect: the configuration{(config.Path is null ? "" : $" in {config.Path}")} has {config.Errors.Count} problem(s); nothing was started:");
            foreach (var error in config.Errors)
            {
                await stderr.WriteLineAsync($"  {error}");
            }

            return ExitCodes.Usage;
        }

        return await action(config.Options);
    }

    private static async Task<int> MigrateAsync(ConnectOptions options, TextWriter stdout, TextWriter stderr)
    {
        await using var database = ConnectDatabase.Create(options);
        try
        {
            var result = await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync(options.Node.Name);
            var writer = result.Status == MigrationStatus.DatabaseIsNewer ? stderr : stdout;
            await writer.WriteLineAsync($"connect: {database.Description}: {result.Describe()}");
            return result.Status == MigrationStatus.DatabaseIsNewer ? ExitCodes.SchemaTooNew : ExitCodes.Ok;
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            await stderr.WriteLineAsync($"connect: cannot use the database ({database.Description}): {e.Message}");
            return ExitCodes.Failed;
        }
    }
}
