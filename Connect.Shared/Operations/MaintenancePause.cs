using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Operations;

/// <summary>Who holds the cluster's pause, and why.</summary>
public sealed record PauseHolder(string Holder, string Reason, DateTimeOffset StartedAt);

/// <summary>
/// A cluster-wide pause of everything that changes the data directory: deploys, renders (on deploy, on demand,
/// scheduled), uploads and deletions wait while it holds; viewers, running workers and the API's reads go on.
/// It is one row with a heartbeat, so a pause never outlives its holder: a holder that stops heartbeating for
/// <see cref="Lifetime"/> (killed, cut off) no longer pauses anything.
/// </summary>
public sealed class MaintenancePause(ConnectDatabase database)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(3);

    /// <summary>How long nodes may take to see a new pause (they check before each piece of work, and every second when waiting).</summary>
    public static readonly TimeSpan NoticedWithin = TimeSpan.FromSeconds(2);

    /// <summary>SQL that is true for a pause row whose holder heartbeat within <see cref="Lifetime"/>.</summary>
    private static readonly string LiveSql = $"heartbeat_at > {{{{NOW}}}} - {(long)Lifetime.TotalMilliseconds}";

    /// <summary>
    /// SQL that is true while no live pause holds: claiming a scheduled render adds it to its own statement, so no
    /// render can be claimed once a pause is in the database.
    /// </summary>
    public static readonly string NotPausedSql = $"NOT EXISTS (SELECT 1 FROM maintenance WHERE {LiveSql})";

    /// <summary>Starts a pause; returns the holder of a live pause instead when there is one (and changes nothing).</summary>
    public async Task<PauseHolder?> BeginAsync(string holder, string reason, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(database.Sql($"DELETE FROM maintenance WHERE NOT ({LiveSql})"), transaction: transaction, cancellationToken: cancellationToken));
        var inserted = await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            INSERT INTO maintenance (id, holder, reason, started_at, heartbeat_at) VALUES (1, @holder, @reason, {{NOW}}, {{NOW}})
            ON CONFLICT (id) DO NOTHING
            """), new { holder, reason }, transaction, cancellationToken: cancellationToken));
        var current = inserted == 1 ? null : await ReadAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return current;
    }

    /// <summary>
    /// Keeps the pause alive; false when it no longer holds: taken by someone else, or lapsed (its holder stalled past
    /// <see cref="Lifetime"/>, and nodes went on meanwhile), even if nobody has taken it since. A lapsed pause is never
    /// revived: what ran while it had lapsed cannot be undone by renewing it.
    /// </summary>
    public async Task<bool> HeartbeatAsync(string holder, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            database.Sql($"UPDATE maintenance SET heartbeat_at = {{{{NOW}}}} WHERE holder = @holder AND {LiveSql}"), new { holder },
            cancellationToken: cancellationToken)) == 1;
    }

    public async Task EndAsync(string holder, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM maintenance WHERE holder = @holder", new { holder }, cancellationToken: cancellationToken));
    }

    /// <summary>The live pause, or null.</summary>
    public async Task<PauseHolder?> ActiveAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ReadAsync(connection, null, cancellationToken);
    }

    /// <summary>Deploys and renders that started before the pause and have not finished: the pause waits for them.</summary>
    public async Task<long> InFlightAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM tasks WHERE finished = 0) + (SELECT COUNT(*) FROM jobs WHERE status = 'running')", cancellationToken: cancellationToken));
    }

    private async Task<PauseHolder?> ReadAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, CancellationToken cancellationToken = default)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(string Holder, string Reason, long StartedAt)?>(new CommandDefinition(
            database.Sql($"SELECT holder, reason, started_at FROM maintenance WHERE {LiveSql}"), transaction: transaction, cancellationToken: cancellationToken));
        return row is { } r ? new PauseHolder(r.Holder, r.Reason, DateTimeOffset.FromUnixTimeMilliseconds(r.StartedAt)) : null;
    }
}
