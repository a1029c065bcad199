using Dapper;

namespace Connect.Shared.Cluster;

/// <summary>What a node says about itself when it registers.</summary>
public sealed record NodeIdentity(string Name, string Url, string Version, int SchemaVersion, string InstanceId);

public enum NodeStatus
{
    Running,

    /// <summary>Registered and not stopped, but its heartbeat is overdue: crashed, hung or cut off.</summary>
    Missing,

    Stopped,
}

/// <summary>A node as the cluster sees it, with ages and offsets measured on the database clock.</summary>
public sealed record NodeInfo(
    string Name,
    string Url,
    string Version,
    int SchemaVersion,
    DateTimeOffset StartedAt,
    DateTimeOffset LastHeartbeat,
    TimeSpan HeartbeatAge,
    TimeSpan ClockOffset,
    NodeStatus Status)
{
    /// <summary>A node that is not stopped and whose clock is further than <paramref name="maxSkew"/> off the database's.</summary>
    public bool IsClockSkewed(TimeSpan maxSkew) => Status != NodeStatus.Stopped && ClockOffset.Duration() > maxSkew;
}

/// <summary>
/// The nodes table: every running node has a row it refreshes with the database's <c>now()</c>.
/// Each heartbeat also stores the node's own clock reading, so the difference between the two is
/// the node's clock offset from the database (plus a round trip's worth of noise).
/// </summary>
public sealed class NodeRegistry(Data.ConnectDatabase database, TimeProvider clock)
{
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>A node whose last heartbeat is older than this is reported missing.</summary>
    public static readonly TimeSpan MissingAfter = HeartbeatInterval * 3;

    public async Task RegisterAsync(NodeIdentity node, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            INSERT INTO nodes (name, url, version, schema_version, instance_id, started_at, heartbeat_at, node_clock_at, stopped_at)
            VALUES (@Name, @Url, @Version, @SchemaVersion, @InstanceId, {{NOW}}, {{NOW}}, @NodeClock, NULL)
            ON CONFLICT (name) DO UPDATE SET
                url = excluded.url, version = excluded.version, schema_version = excluded.schema_version,
                instance_id = excluded.instance_id, started_at = excluded.started_at,
                heartbeat_at = excluded.heartbeat_at, node_clock_at = excluded.node_clock_at, stopped_at = NULL
            """),
            new { node.Name, node.Url, node.Version, node.SchemaVersion, node.InstanceId, NodeClock = NodeClockNow() }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// A clock reading whose round trip took longer than this is not used: the database may have read its clock
    /// anywhere in that time (a stalled server reads it when it wakes), so the offset would be off by up to the delay.
    /// </summary>
    public static readonly TimeSpan QuickRoundTrip = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Refreshes the node's row. Returns null when the row is gone or another instance took the name over; else this
    /// node's clock offset from the database's, when a quick round trip measured it (the row then keeps the offset it
    /// had).
    /// </summary>
    public async Task<NodeBeat?> HeartbeatAsync(NodeIdentity node, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var before = NodeClockNow();
        var databaseClock = await connection.ExecuteScalarAsync<long>(new CommandDefinition(database.Sql("SELECT {{NOW}}"), cancellationToken: cancellationToken));
        var after = NodeClockNow();
        long? offsetMs = after - before <= QuickRoundTrip.TotalMilliseconds ? (before + after) / 2 - databaseClock : null;
        var held = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            database.Sql("""
                UPDATE nodes SET heartbeat_at = {{NOW}}, node_clock_at = {{NOW}} + COALESCE(@OffsetMs, node_clock_at - heartbeat_at)
                WHERE name = @Name AND instance_id = @InstanceId AND stopped_at IS NULL RETURNING heartbeat_at
                """),
            new { node.Name, node.InstanceId, OffsetMs = offsetMs }, cancellationToken: cancellationToken));
        return held is null ? null : new NodeBeat(offsetMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null);
    }

    public async Task DeregisterAsync(NodeIdentity node, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE nodes SET stopped_at = {{NOW}} WHERE name = @Name AND instance_id = @InstanceId"),
            new { node.Name, node.InstanceId }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<NodeInfo>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<NodeRow>(new CommandDefinition(database.Sql(
            "SELECT name, url, version, schema_version, started_at, heartbeat_at, node_clock_at, stopped_at, {{NOW}} AS database_now FROM nodes ORDER BY name"), cancellationToken: cancellationToken));
        return rows.Select(r => r.ToInfo()).ToList();
    }

    private long NodeClockNow() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private sealed class NodeRow
    {
        public string Name { get; init; } = "";
        public string Url { get; init; } = "";
        public string Version { get; init; } = "";
        public int SchemaVersion { get; init; }
        public long StartedAt { get; init; }
        public long HeartbeatAt { get; init; }
        public long NodeClockAt { get; init; }
        public long? StoppedAt { get; init; }
        public long DatabaseNow { get; init; }

        public NodeInfo ToInfo()
        {
            var age = TimeSpan.FromMilliseconds(Math.Max(0, DatabaseNow - HeartbeatAt));
            var status = StoppedAt is not null ? NodeStatus.Stopped
                : age > MissingAfter ? NodeStatus.Missing
                : NodeStatus.Running;
            return new NodeInfo(
                Name, Url, Version, SchemaVersion,
                DateTimeOffset.FromUnixTimeMilliseconds(StartedAt),
                DateTimeOffset.FromUnixTimeMilliseconds(HeartbeatAt),
                age,
                TimeSpan.FromMilliseconds(NodeClockAt - HeartbeatAt),
                status);
        }
    }
}

/// <summary>A heartbeat that found its row: the clock offset it measured, or null when the round trip was too slow to tell.</summary>
public sealed record NodeBeat(TimeSpan? ClockOffset);
