using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Scheduling;

public sealed record Schedule(long Id, long ContentId, string Expression, string TimeZone, bool Enabled, DateTimeOffset NextRunAt, DateTimeOffset CreatedAt);

/// <summary>
/// Schedules of R Markdown renders. Turning a due schedule into a queued job is a compare-and-set on
/// its <c>next_run_at</c>, so when every node tries at once exactly one job is queued per due run.
/// </summary>
public sealed class ScheduleRepository(ConnectDatabase database)
{
    public const string JobsChannel = "connect_jobs";

    public async Task<Schedule> CreateAsync(long contentId, ScheduleExpression expression, DateTimeOffset firstRun, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(database.Sql("""
            INSERT INTO schedules (content_id, expression, time_zone, enabled, next_run_at, created_at)
            VALUES (@contentId, @text, @zone, 1, @firstRun, {{NOW}}) RETURNING id
            """), new { contentId, text = expression.Text, zone = expression.TimeZone, firstRun = firstRun.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        await database.NotifyAsync(JobsChannel, cancellationToken);
        return (await ListAsync(contentId, cancellationToken)).Single(s => s.Id == id);
    }

    public async Task<IReadOnlyList<Schedule>> ListAsync(long contentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            "SELECT id, content_id, expression, time_zone, enabled, next_run_at, created_at FROM schedules WHERE content_id = @contentId ORDER BY id",
            new { contentId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToSchedule()).ToList();
    }

    public async Task<bool> DeleteAsync(long contentId, long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM schedules WHERE id = @id AND content_id = @contentId", new { id, contentId }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> SetEnabledAsync(long contentId, long id, bool enabled, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE schedules SET enabled = @enabled WHERE id = @id AND content_id = @contentId",
            new { id, contentId, enabled = enabled ? 1 : 0 }, cancellationToken: cancellationToken)) == 1;
        if (changed && enabled)
        {
            await database.NotifyAsync(JobsChannel, cancellationToken);
        }

        return changed;
    }

    /// <summary>Makes an enabled schedule due now, and tells the nodes. False when there is no such enabled schedule.</summary>
    public async Task<bool> DueNowAsync(long contentId, long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(database.Sql(
            "UPDATE schedules SET next_run_at = {{NOW}} WHERE id = @id AND content_id = @contentId AND enabled = 1"),
            new { id, contentId }, cancellationToken: cancellationToken)) == 1;
        if (changed)
        {
            await database.NotifyAsync(JobsChannel, cancellationToken);
        }

        return changed;
    }

    /// <summary>The database's clock now.</summary>
    public async Task<DateTimeOffset> DatabaseNowAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return DateTimeOffset.FromUnixTimeMilliseconds(await connection.ExecuteScalarAsync<long>(new CommandDefinition(database.Sql("SELECT {{NOW}}"), cancellationToken: cancellationToken)));
    }

    /// <summary>Queues one job for every schedule that is due, moving each schedule to its next run. Returns how many were queued.</summary>
    public async Task<int> QueueDueRunsAsync(CancellationToken cancellationToken = default)
    {
        var now = await DatabaseNowAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        var due = (await connection.QueryAsync<Row>(new CommandDefinition(
            "SELECT id, content_id, expression, time_zone, enabled, next_run_at, created_at FROM schedules WHERE enabled = 1 AND next_run_at <= @now",
            new { now = now.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken))).ToList();
        var queued = 0;
        foreach (var schedule in due)
        {
            var (expression, _) = ScheduleExpression.Parse(schedule.Expression, schedule.TimeZone);
            var dueAt = DateTimeOffset.FromUnixTimeMilliseconds(schedule.NextRunAt);
            var next = expression?.NextAfter(now, dueAt);
            await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
            var moved = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE schedules SET next_run_at = @next, enabled = @enabled WHERE id = @id AND next_run_at = @old",
                new { id = schedule.Id, old = schedule.NextRunAt, next = (next ?? dueAt).ToUnixTimeMilliseconds(), enabled = next is null ? 0 : 1 },
                transaction, cancellationToken: cancellationToken));
            if (moved == 1)
            {
                await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
                    INSERT INTO jobs (content_id, schedule_id, kind, status, due_at, created_at)
                    VALUES (@contentId, @scheduleId, 'scheduled-render', 'queued', @dueAt, {{NOW}})
                    """), new { contentId = schedule.ContentId, scheduleId = schedule.Id, dueAt = schedule.NextRunAt }, transaction, cancellationToken: cancellationToken));
                queued++;
            }

            await transaction.CommitAsync(cancellationToken);
        }

        if (queued > 0)
        {
            await database.NotifyAsync(JobsChannel, cancellationToken);
        }

        return queued;
    }

    /// <summary>When something next becomes due: the earliest schedule or queued job (null if nothing is planned).</summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var next = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            SELECT MIN(t) FROM (
                SELECT MIN(next_run_at) AS t FROM schedules WHERE enabled = 1
                UNION ALL SELECT MIN(due_at) AS t FROM jobs WHERE status = 'queued') AS due
            """, cancellationToken: cancellationToken));
        return next is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    private sealed class Row
    {
        public long Id { get; init; }
        public long ContentId { get; init; }
        public string Expression { get; init; } = "";
        public string TimeZone { get; init; } = "";
        public int Enabled { get; init; }
        public long NextRunAt { get; init; }
        public long CreatedAt { get; init; }

        public Schedule ToSchedule() => new(Id, ContentId, Expression, TimeZone, Enabled == 1,
            DateTimeOffset.FromUnixTimeMilliseconds(NextRunAt), DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
