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

    /// <summary>
    /// The values of one column of one table as a custom-format dump holds them: <c>pg_restore</c> reads the file itself
    /// (no database is needed) and prints the table's rows in COPY text form, which is parsed here.
    /// </summary>
    public static async Task<IReadOnlyList<string?>> ColumnFromDumpAsync(string file, string table, string column, CancellationToken cancellationToken)
    {
        var result = await Cli.Wrap("pg_restore")
            .WithArguments(["--data-only", $"--table={table}", "--file=-", file])
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"pg_restore could not read {file} (exit code {result.ExitCode}): {result.StandardError.Trim()}");
        }

        var values = new List<string?>();
        var index = -1;
        foreach (var line in result.StandardOutput.Split('\n'))
        {
            if (index < 0)
            {
                // COPY public.bundles (id, content_id, path, ...) FROM stdin;
                if (line.StartsWith("COPY ", StringComparison.Ordinal) && line.IndexOf('(') is var open and > 0 && line.IndexOf(')') is var close and > 0)
                {
                    var columns = line[(open + 1)..close].Split(',').Select(c => c.Trim().Trim('"')).ToList();
                    index = columns.IndexOf(column);
                    if (index < 0)
                    {
                        throw new InvalidOperationException($"the dump's table {table} has no column {column}");
                    }
                }

                continue;
            }

            if (line == "\\.")
            {
                break;
            }

            var field = line.Split('\t')[index];
            values.Add(field == "\\N" ? null : Unescape(field));
        }

        return values;
    }

    /// <summary>COPY text form's backslash escapes (\\, \t, \n, \r).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }

        var text = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] != '\\' || i + 1 == field.Length)
            {
                text.Append(field[i]);
                continue;
            }

            text.Append(field[++i] switch { 't' => '\t', 'n' => '\n', 'r' => '\r', var other => other });
        }

        return text.ToString();
    }
}
