using Connect.Runtime.Hosting;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Runtime.CommandLine;

/// <summary>The <c>connect</c> command line: picks the verb, loads configuration, runs it.</summary>
internal static class ConnectCommand
{
    private const string Usage = """
        Usage: connect <verb> [--config PATH]

        Verbs:
          run        Start this node: HTTP server, node heartbeat (migrates the schema first if needed)
          migrate    Bring the database schema up to this binary's version, then exit
          users add NAME [--role administrator|publisher|viewer] [--email ADDRESS]
                     Add a user (role: publisher unless given)
          users list List the users
          keys create --user NAME [--name LABEL]
                     Create an API key for a user and print it (it is shown only this once)
          version    Print this binary's version and the schema version it knows
          help       Show this text

        Options:
          --config PATH   Configuration file (gcfg). Default: $CONNECT_CONFIG, else built-in defaults.
                          Any key may be overridden with CONNECT_<SECTION>_<KEY>, e.g. CONNECT_HTTP_LISTEN=:3939
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var verb = args.FirstOrDefault(a => !a.StartsWith('-') && !IsOptionValue(args, a));
        if (verb is null && args.Any(a => a is "--help" or "-h") || verb is "help")
        {
            await stdout.WriteLineAsync(Usage);
            return ExitCodes.Ok;
        }

        if (verb is "version" || args.Contains("--version"))
        {
            await stdout.WriteLineAsync($"connect {NodeVersion.Current} (schema {Migrations.Latest})");
            return ExitCodes.Ok;
        }

        if (verb is not ("run" or "migrate" or "users" or "keys"))
        {
            await stderr.WriteLineAsync(verb is null ? "connect: no verb given" : $"connect: unknown verb '{verb}'");
            await stderr.WriteLineAsync(Usage);
            return ExitCodes.Usage;
        }

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

        return verb switch
        {
            "run" => await NodeHost.RunAsync(config.Options, stderr),
            "migrate" => await MigrateAsync(config.Options, stdout, stderr),
            _ => await UserCommands.RunAsync(verb, args, config.Options, stdout, stderr),
        };
    }

    private static bool IsOptionValue(string[] args, string arg)
    {
        var index = Array.IndexOf(args, arg);
        return index > 0 && args[index - 1].StartsWith("--", StringComparison.Ordinal) && !args[index - 1].Contains('=');
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
