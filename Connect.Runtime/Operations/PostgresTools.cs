using CliWrap;
using CliWrap.Buffered;
using Npgsql;

namespace Connect.Runtime.Operations;

/// <summary>PostgreSQL's own <c>pg_dump</c> and <c>pg_restore</c>, pointed at the configured database.</summary>
internal static class PostgresTools
{
    public static async Task DumpAsync(string connectionString, string file, CancellationToken cancellationToken) =>
        await RunAsync("pg_dump", connectionString, ["--format=custom", "--no-owner", $"--file={file}"], cancellationToken);

    public static async Task RestoreAsync(string connectionString, string file, CancellationToken cancellationToken) =>
        await RunAsync("pg_restore", connectionString, ["--no-owner", "--exit-on-error", "--single-transaction", file], cancellationToken);

    private static async Task RunAsync(string tool, string connectionString, IReadOnlyList<string> extra, CancellationToken cancellationToken)
    {
        var c = new NpgsqlConnectionStringBuilder(connectionString);
        // The password goes in the environment, never on a command line that `ps` shows.
        var environment = new Dictionary<string, string?>
        {
            ["PGPASSWORD"] = c.Password,
            ["PGSSLMODE"] = c.SslMode switch
            {
                SslMode.Disable => "disable",
                SslMode.Allow => "allow",
                SslMode.Require => "require",
                SslMode.VerifyCA => "verify-ca",
                SslMode.VerifyFull => "verify-full",
                _ => "prefer",
            },
        };
        var result = await Cli.Wrap(tool)
            .WithArguments(["--host", c.Host ?? "localhost", "--port", c.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--username", c.Username ?? "postgres", "--dbname", c.Database ?? "postgres", .. extra])
            .WithEnvironmentVariables(environment)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} failed (exit code {result.ExitCode}): {result.StandardError.Trim()}");
        }
    }
}
