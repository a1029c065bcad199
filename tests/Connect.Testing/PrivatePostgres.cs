using System.Diagnostics;

namespace Connect.Testing;

/// <summary>
/// A PostgreSQL server of one test's own (initdb into a temporary folder, started on a free loopback port), for faults
/// that would disturb every other test on the shared one: freezing all its processes (SIGSTOP) as a hung server or a
/// stalled network does, and stopping it.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _folder;
    private readonly string[] _as;

    private PrivatePostgres(string bin, string folder, string[] runAs, int port)
    {
        _bin = bin;
        _folder = folder;
        _as = runAs;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Configuration lines that point a node at this server.</summary>
    public string ConfigLines => $"[Database]\nProvider = postgres\n[Postgres]\nURL = postgres://postgres@127.0.0.1:{Port}/postgres\n";

    public static async Task<PrivatePostgres> StartAsync(TempDirectory temp)
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .OrderBy(d => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : new Version(0, 0)).Last();
        var folder = Directory.CreateDirectory(temp.File($"postgres-{Guid.NewGuid():N}")).FullName;
        string[] runAs = [];
        if (Environment.UserName == "root")
        {
            // PostgreSQL refuses to run as root.
            await RunAsync("chown", ["postgres:", folder]);
            File.SetUnixFileMode(temp.Path, File.GetUnixFileMode(temp.Path) | UnixFileMode.OtherExecute);
            runAs = ["runuser", "-u", "postgres", "--"];
        }

        var server = new PrivatePostgres(bin, folder, runAs, FreePort.Next());
        await server.PgAsync("initdb", "-D", server.DataPath, "-U", "postgres", "--auth=trust");
        await server.PgAsync("pg_ctl", "-D", server.DataPath, "-l", Path.Combine(folder, "log"), "-w", "-t", "60", "start",
            "-o", $"-p {server.Port} -c unix_socket_directories='' -c listen_addresses=127.0.0.1 -c fsync=off");
        return server;
    }

    private string DataPath => Path.Combine(_folder, "pg");

    /// <summary>One value read straight from the server (what the test sees there, not what a node says).</summary>
    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false");
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return (T?)await command.ExecuteScalarAsync();
    }

    /// <summary>Stops every process of the server (SIGSTOP): connections stay open and nothing answers.</summary>
    public void Freeze() => Signal("-STOP", Processes().Reverse());

    /// <summary>Lets a frozen server go on (SIGCONT).</summary>
    public void Thaw() => Signal("-CONT", Processes());

    /// <summary>The postmaster first, then its children.</summary>
    private IEnumerable<int> Processes()
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(DataPath, "postmaster.pid")).First());
        yield return postmaster;
        foreach (var stat in Directory.GetDirectories("/proc").Select(d => Path.Combine(d, "stat")))
        {
            string text;
            try
            {
                text = File.ReadAllText(stat);
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            // pid (comm) state ppid ...; comm may hold spaces, so read after its closing parenthesis.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            if (int.TryParse(fields[1], out var parent) && parent == postmaster)
            {
                yield return int.Parse(text[..text.IndexOf(' ')]);
            }
        }
    }

    private static void Signal(string signal, IEnumerable<int> pids)
    {
        var kill = Process.Start("kill", [signal, .. pids.Select(p => p.ToString())]);
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        Thaw();
        await PgAsync("pg_ctl", "-D", DataPath, "-m", "immediate", "stop");
    }

    private Task PgAsync(string tool, params string[] args) => RunAsync(_as.Length > 0 ? _as[0] : Path.Combine(_bin, tool),
        [.. _as.Skip(1), .. _as.Length > 0 ? new[] { Path.Combine(_bin, tool) } : [], .. args]);

    private static async Task RunAsync(string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', info.ArgumentList)} failed ({process.ExitCode}):\n{await output}\n{await error}");
        }
    }
}
