using System.Text.Json;
using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Metrics;

/// <summary>How a node is set up, as far as the cluster checklist cares.</summary>
public sealed record NodeSettings(
    string MetricsPath,
    string DatabaseProvider,
    int ScheduleConcurrency,
    bool EnforceMinRsconnectVersion,
    bool Graphite,
    bool Prometheus,
    bool OpenTelemetry,
    string? Host = null);

/// <summary>One R worker as its node sees it.</summary>
public sealed record WorkerLive(
    string Id, string ContentGuid, long BundleId, int? Pid, int Connections, double CpuPercent, long MemoryBytes, DateTimeOffset StartedAt, string State);

/// <summary>A node's figures of the moment, with its workers; published every second.</summary>
public sealed record NodeLive(
    DateTimeOffset At,
    double HostCpuPercent,
    long HostMemoryUsedBytes,
    long HostMemoryTotalBytes,
    double NodeCpuPercent,
    long NodeMemoryBytes,
    int OpenWebSockets,
    double RequestsPerSecond,
    IReadOnlyList<WorkerLive> Workers,
    IReadOnlyList<WorkerExit>? RecentExits = null);

/// <summary>
/// An R worker that ended without being asked to (it crashed, or failed to start: <see cref="BeforeListening"/>), as
/// its node remembers its last few; <see cref="LogFile"/> is its log's name in the item's logs folder.
/// </summary>
public sealed record WorkerExit(
    string Id, string ContentGuid, DateTimeOffset StartedAt, int? ExitCode, string? Reason, bool BeforeListening, string LogFile);

/// <summary>A node's charts: every chart series over each range, as its own store has them.</summary>
public sealed record NodeHistory(IReadOnlyDictionary<string, IReadOnlyDictionary<ChartRange, IReadOnlyList<ChartPoint>>> Series);

/// <summary>A deploy, render or scheduled render running on a node.</summary>
public sealed record RunningRender(string Node, string Kind, string Id, string ContentGuid, string ContentName, DateTimeOffset StartedAt);

/// <summary>What one node last published, and when (database time).</summary>
public sealed record NodeStatusRow(string Node, string InstanceId, NodeSettings Settings, NodeLive Live, DateTimeOffset LiveAt, NodeHistory? History);

/// <summary>
/// The cluster-wide view of each node's workers and metrics: every node publishes a row (its live figures every
/// second, its charts every few seconds) so the console, on any host, reads the whole cluster from the database
/// without reaching into any node's files.
/// </summary>
public sealed class NodeStatusRepository(ConnectDatabase database)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task PublishLiveAsync(string node, string instanceId, NodeSettings settings, NodeLive live, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            INSERT INTO node_status (node, instance_id, settings, live, live_at) VALUES (@node, @instanceId, @settings, @live, {{NOW}})
            ON CONFLICT (node) DO UPDATE SET instance_id = excluded.instance_id, settings = excluded.settings, live = excluded.live, live_at = excluded.live_at
            """), new { node, instanceId, settings = JsonSerializer.Serialize(settings, Json), live = JsonSerializer.Serialize(live, Json) },
            cancellationToken: cancellationToken));
    }

    public async Task PublishHistoryAsync(string node, NodeHistory history, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE node_status SET history = @history, history_at = {{NOW}} WHERE node = @node"),
            new { node, history = JsonSerializer.Serialize(history, Json) }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<NodeStatusRow>> ListAsync(bool withHistory, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT node, instance_id, settings, live, live_at, {(withHistory ? "history" : "NULL AS history")} FROM node_status ORDER BY node",
            cancellationToken: cancellationToken));
        return rows.Select(r => new NodeStatusRow(
            r.Node, r.InstanceId,
            JsonSerializer.Deserialize<NodeSettings>(r.Settings, Json)!,
            JsonSerializer.Deserialize<NodeLive>(r.Live, Json)!,
            DateTimeOffset.FromUnixTimeMilliseconds(r.LiveAt),
            r.History is null ? null : JsonSerializer.Deserialize<NodeHistory>(r.History, Json))).ToList();
    }

    /// <summary>Unfinished deploy and render tasks and running scheduled renders, with the node each runs on.</summary>
    public async Task<IReadOnlyList<RunningRender>> RunningRendersAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Node, string Kind, string Id, string Guid, string Name, long StartedAt)>(new CommandDefinition("""
            SELECT t.node, t.kind, t.id, c.guid, c.name, t.created_at FROM tasks t JOIN content c ON c.id = t.content_id WHERE t.finished = 0
            UNION ALL
            SELECT j.node, 'scheduled render', 'job ' || CAST(j.id AS TEXT) || ' (claim ' || CAST(j.claim_token AS TEXT) || ')', c.guid, c.name, j.started_at
            FROM jobs j JOIN content c ON c.id = j.content_id WHERE j.status = 'running'
            """, cancellationToken: cancellationToken));
        return rows.Select(r => new RunningRender(r.Node, r.Kind, r.Id, r.Guid, r.Name, DateTimeOffset.FromUnixTimeMilliseconds(r.StartedAt))).ToList();
    }

    // Set by name, not by a constructor: SQLite reports a bare NULL column as a blob, which no constructor of strings matches.
    private sealed class Row
    {
        public string Node { get; init; } = "";
        public string InstanceId { get; init; } = "";
        public string Settings { get; init; } = "";
        public string Live { get; init; } = "";
        public long LiveAt { get; init; }
        public string? History { get; init; }
    }
}

/// <summary>What the cluster holds, counted for the <c>content.count</c> and <c>schedule.count</c> gauges.</summary>
public sealed record CatalogCounts(
    IReadOnlyList<(string Type, string Access, long Count)> Content,
    IReadOnlyList<(string Status, long Count)> Runs)
{
    public static readonly CatalogCounts None = new([], []);

    /// <summary>Content by type and access, and scheduled runs by status in the product's words (queued, running, success, failure).</summary>
    public static async Task<CatalogCounts> ReadAsync(ConnectDatabase database, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var content = await connection.QueryAsync<(string Type, string Access, long Count)>(new CommandDefinition(
            "SELECT COALESCE(app_mode, 'unknown'), access_type, COUNT(*) FROM content GROUP BY app_mode, access_type", cancellationToken: cancellationToken));
        var runs = await connection.QueryAsync<(string Status, long Count)>(new CommandDefinition("""
            SELECT CASE status WHEN 'succeeded' THEN 'success' WHEN 'failed' THEN 'failure' ELSE status END, COUNT(*)
            FROM jobs GROUP BY status
            """, cancellationToken: cancellationToken));
        return new CatalogCounts(content.ToList(), runs.ToList());
    }
}
