using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Scheduling;

/// <summary>A job this node holds. <see cref="Token"/> fences it: only the holder of the latest token may heartbeat or finish it.</summary>
public sealed record ClaimedJob(long Id, long ContentId, long? ScheduleId, long Token, DateTimeOffset DueAt);

public sealed record JobRecord(
    long Id, long ContentId, long? ScheduleId, string Kind, string Status, string? Node, long ClaimToken,
    DateTimeOffset DueAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, int? ExitCode, string? Error, string? LogPath);

/// <summary>A job with the content item it renders, as a cluster-wide list shows it.</summary>
public sealed record JobListing(JobRecord Job, string ContentGuid, string ContentName);

/// <summary>
/// Scheduled renders as claimable rows. A claim is one statement (<c>FOR UPDATE SKIP LOCKED</c> on
/// PostgreSQL), so one due job goes to exactly one node; the holder keeps its claim alive with a
/// heartbeat, and a job whose heartbeat stopped is claimed again, with a new token, by any node.
/// All times are the database's.
/// </summary>
public sealed class JobRepository(ConnectDatabase database)
{
    /// <summary>
    /// Deletes finished scheduled renders (succeeded or failed) that finished more than <paramref name="age"/> ago, or that
    /// are past the newest <paramref name="keepPerContent"/> finished ones of their item (0: no such bound); queued and
    /// running ones stay. Returns the logs (relative to the data directory) of those that went, for their files to go too.
    /// </summary>
    public async Task<IReadOnlyList<string>> PruneAsync(TimeSpan age, int keepPerContent, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var doomed = (await connection.QueryAsync<(long Id, string? LogPath)>(new CommandDefinition(database.Sql("""
            SELECT id, log_path FROM jobs WHERE status IN ('succeeded', 'failed') AND (finished_at < {{NOW}} - @ageMs OR (@keep > 0 AND id IN (
                SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY content_id ORDER BY finished_at DESC, id DESC) AS n
                                FROM jobs WHERE status IN ('succeeded', 'failed')) ranked
                WHERE n > @keep)))
            """), new { ageMs = (long)age.TotalMilliseconds, keep = keepPerContent }, cancellationToken: cancellationToken))).ToList();
        // PostgreSQL takes the ids as one array; Dapper spells them out for SQLite.
        var delete = database.Provider == Configuration.DatabaseProvider.Postgres
            ? "DELETE FROM jobs WHERE id = ANY(@ids) AND status IN ('succeeded', 'failed')"
            : "DELETE FROM jobs WHERE id IN @ids AND status IN ('succeeded', 'failed')";
        foreach (var chunk in doomed.Chunk(500))
        {
            await connection.ExecuteAsync(new CommandDefinition(delete, new { ids = chunk.Select(j => j.Id).ToArray() }, cancellationToken: cancellationToken));
        }

        return [.. doomed.Select(j => j.LogPath).OfType<string>()];
    }

    public async Task<ClaimedJob?> ClaimAsync(string node, TimeSpan abandonAfter, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        // Nothing is claimed while a maintenance pause (a backup) holds: the pause is part of the claim's own statement.
        var row = await connection.QuerySingleOrDefaultAsync<ClaimRow>(new CommandDefinition(database.Sql("""
            UPDATE jobs SET status = 'running', node = @node, claim_token = claim_token + 1,
                heartbeat_at = {{NOW}}, started_at = {{NOW}}, finished_at = NULL, exit_code = NULL, error = NULL
            WHERE id = (
                SELECT id FROM jobs
                WHERE (status = 'queued' AND due_at <= {{NOW}}) OR (status = 'running' AND heartbeat_at < {{NOW}} - @abandonMs)
                ORDER BY due_at, id
                LIMIT 1
                {{SKIP_LOCKED}})
            AND {{NOT_PAUSED}}
            RETURNING id, content_id, schedule_id, claim_token, due_at
            """.Replace("{{NOT_PAUSED}}", Operations.MaintenancePause.NotPausedSql, StringComparison.Ordinal)), new { node, abandonMs = (long)abandonAfter.TotalMilliseconds }, cancellationToken: cancellationToken));
        return row is null ? null : new ClaimedJob(row.Id, row.ContentId, row.ScheduleId, row.ClaimToken, DateTimeOffset.FromUnixTimeMilliseconds(row.DueAt));
    }

    /// <summary>Keeps the claim alive; false when the claim was lost (another node took the job over).</summary>
    public async Task<bool> HeartbeatAsync(ClaimedJob job, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE jobs SET heartbeat_at = {{NOW}} WHERE id = @Id AND claim_token = @Token AND status = 'running'"),
            job, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>
    /// Records the outcome and, for a successful render of the still-active bundle, publishes its output,
    /// in one transaction and only while the claim still holds. False (and nothing written) otherwise.
    /// </summary>
    public async Task<bool> FinishAsync(ClaimedJob job, long bundleId, int exitCode, string? error, string? logPath, string? outputPath, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        var held = await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            UPDATE jobs SET status = @status, finished_at = {{NOW}}, exit_code = @exitCode, error = @error,
                log_path = @logPath, output_path = @outputPath, bundle_id = @bundleId
            WHERE id = @id AND claim_token = @token AND status = 'running'
            """), new
        {
            id = job.Id, token = job.Token, status = error is null ? "succeeded" : "failed",
            exitCode, error, logPath, outputPath, bundleId,
        }, transaction, cancellationToken: cancellationToken)) == 1;
        if (held && error is null && outputPath is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                database.Sql("UPDATE content SET output_path = @outputPath, updated_at = {{NOW}} WHERE id = @contentId AND active_bundle_id = @bundleId"),
                new { outputPath, contentId = job.ContentId, bundleId }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
        return held;
    }

    public async Task<IReadOnlyList<JobRecord>> ListAsync(long contentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition("""
            SELECT id, content_id, schedule_id, kind, status, node, claim_token, due_at, started_at, finished_at, exit_code, error, log_path
            FROM jobs WHERE content_id = @contentId ORDER BY id
            """, new { contentId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    /// <summary>
    /// Every running and queued job of the cluster (in that order), and the newest <paramref name="failed"/> failed ones: what an
    /// administrator watching renders needs, without the long tail of successes.
    /// </summary>
    public async Task<IReadOnlyList<JobListing>> ListOpenAndFailedAsync(int failed, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        const string select = """
            SELECT j.id, j.content_id, j.schedule_id, j.kind, j.status, j.node, j.claim_token, j.due_at, j.started_at, j.finished_at,
                   j.exit_code, j.error, j.log_path, c.guid AS content_guid, c.name AS content_name
            FROM jobs j JOIN content c ON c.id = j.content_id
            """;
        var open = await connection.QueryAsync<ListingRow>(new CommandDefinition(
            select + " WHERE j.status IN ('queued', 'running') ORDER BY CASE j.status WHEN 'running' THEN 0 ELSE 1 END, j.due_at, j.id", cancellationToken: cancellationToken));
        var failures = await connection.QueryAsync<ListingRow>(new CommandDefinition(
            select + " WHERE j.status = 'failed' ORDER BY j.finished_at DESC, j.id DESC LIMIT @failed", new { failed }, cancellationToken: cancellationToken));
        return open.Concat(failures).Select(r => new JobListing(r.ToRecord(), r.ContentGuid, r.ContentName)).ToList();
    }

    public async Task<JobRecord?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition("""
            SELECT id, content_id, schedule_id, kind, status, node, claim_token, due_at, started_at, finished_at, exit_code, error, log_path
            FROM jobs WHERE id = @id
            """, new { id }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    private sealed class ClaimRow
    {
        public long Id { get; init; }
        public long ContentId { get; init; }
        public long? ScheduleId { get; init; }
        public long ClaimToken { get; init; }
        public long DueAt { get; init; }
    }

    private class Row
    {
        public long Id { get; init; }
        public long ContentId { get; init; }
        public long? ScheduleId { get; init; }
        public string Kind { get; init; } = "";
        public string Status { get; init; } = "";
        public string? Node { get; init; }
        public long ClaimToken { get; init; }
        public long DueAt { get; init; }
        public long? StartedAt { get; init; }
        public long? FinishedAt { get; init; }
        public int? ExitCode { get; init; }
        public string? Error { get; init; }
        public string? LogPath { get; init; }

        public JobRecord ToRecord() => new(Id, ContentId, ScheduleId, Kind, Status, Node, ClaimToken,
            DateTimeOffset.FromUnixTimeMilliseconds(DueAt), At(StartedAt), At(FinishedAt), ExitCode, Error, LogPath);

        private static DateTimeOffset? At(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
    }

    private sealed class ListingRow : Row
    {
        public string ContentGuid { get; init; } = "";
        public string ContentName { get; init; } = "";
    }
}
