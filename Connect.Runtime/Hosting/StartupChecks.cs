using System.Net;
using System.Net.Sockets;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Data;

namespace Connect.Runtime.Hosting;

/// <summary>
/// What must hold before a node changes anything (migrates, creates the admin, registers): each check
/// answers null, or the problem in words an operator can act on.
/// </summary>
internal static partial class StartupChecks
{
    /// <summary>The listening port is free (Kestrel would otherwise fail only after the node has done its start-up writes).</summary>
    public static string? PortProblem(ConnectOptions options)
    {
        ListenAddress.TryParse(options.HTTP.Listen, out var listen);
        var address = listen.Host is null or "" or "*" or "0.0.0.0" ? IPAddress.Any
            : IPAddress.TryParse(listen.Host.Trim('[', ']'), out var ip) ? ip
            : IPAddress.Loopback;
        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(address, listen.Port));
            return null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return $"port {listen.Port} (HTTP.Listen = {options.HTTP.Listen}) is already in use by another process";
        }
        catch (SocketException e)
        {
            return $"cannot listen on {options.HTTP.Listen} (HTTP.Listen): {e.Message}";
        }
    }

    /// <summary>The data directory can be written (a read-only mount, a full disk or wrong ownership show here, not mid-deploy).</summary>
    public static string? DataDirProblem(string dataDir)
    {
        var probe = Path.Combine(dataDir, $".write-check-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"the data directory {dataDir} (Server.DataDir) cannot be written: {e.Message}";
        }
    }

    /// <summary>
    /// Waits for the database to answer, with back-off, up to <c>Database.WaitAtStart</c>: in a cluster
    /// nodes and PostgreSQL are often started together.
    /// </summary>
    public static async Task WaitForDatabaseAsync(ConnectDatabase database, TimeSpan limit, TimeProvider clock, ILogger logger, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + limit;
        for (var delay = TimeSpan.FromMilliseconds(500); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks)))
        {
            try
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e) && clock.GetUtcNow() + delay < deadline)
            {
                LogWaiting(logger, database.Description, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, clock, cancellationToken);
            }
        }
    }

    /// <summary>
    /// No other live process uses this node's name: two processes with one name would fail each other's
    /// tasks. A row that looks alive but whose heartbeat does not move is a crashed process, and is taken over.
    /// </summary>
    public static async Task<string?> DuplicateNameProblemAsync(NodeRegistry registry, string name, CancellationToken cancellationToken)
    {
        var before = (await registry.ListAsync(cancellationToken)).SingleOrDefault(n => n.Name == name);
        if (before is not { Status: NodeStatus.Running })
        {
            return null;
        }

        // A live node heartbeats every HeartbeatInterval; wait a little longer than that and look again.
        await Task.Delay(NodeRegistry.HeartbeatInterval + TimeSpan.FromSeconds(1), cancellationToken);
        var after = (await registry.ListAsync(cancellationToken)).SingleOrDefault(n => n.Name == name);
        return after is { Status: NodeStatus.Running } && after.LastHeartbeat > before.LastHeartbeat
            ? $"another process is running as node '{name}' ({after.Url}, heartbeat {after.HeartbeatAge.TotalSeconds:0.#}s ago); give each node its own Node.Name"
            : null;
    }

    /// <summary>
    /// For an empty database: an empty database beside a data directory that already holds a server's files is refused: it is
    /// a lost or wrong database (a zero-byte SQLite file after a full disk, a wrong Postgres.URL), and
    /// starting would create a new administrator and overwrite its key file.
    /// </summary>
    public static string? EmptyDatabaseProblem(ConnectDatabase database, string dataDir)
    {
        var traces = new[] { "admin-api-key", "apps", "bundles" }.Where(entry =>
            File.Exists(Path.Combine(dataDir, entry)) || Directory.Exists(Path.Combine(dataDir, entry)) && Directory.EnumerateFileSystemEntries(Path.Combine(dataDir, entry)).Any()).ToList();
        return traces.Count == 0
            ? null
            : $"the database ({database.Description}) is empty, but the data directory {dataDir} holds an earlier server's files ({string.Join(", ", traces)}); "
              + "restore that server's database, or point Server.DataDir at an empty folder to start a new server";
    }

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Waiting for the database {Database} ({Reason}); next try in {Seconds}s")]
    private static partial void LogWaiting(ILogger logger, string database, string reason, double seconds);
}
