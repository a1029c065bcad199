using System.Data.Common;
using Connect.Shared.Cluster;
using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Tasks;

/// <summary>A task's state and the output lines from <c>first</c> on, as a poll sees it.</summary>
public sealed record TaskState(
    string Id,
    long? ContentId,
    long? UserId,
    string Kind,
    string Node,
    IReadOnlyList<string> Output,
    int First,
    int Last,
    bool Finished,
    int? Code,
    string? Error,
    string? Result)
{
    /// <summary>A task whose state cannot be read now (the database is away): not finished, nothing new from <paramref name="first"/>.</summary>
    public static TaskState NotKnownYet(string id, int first) => new(id, null, null, "", "", [], first, first, false, null, null, null);
}

/// <summary>One task of a content item as a history lists it (its output is read separately).</summary>
public sealed record TaskSummary(
    string Id, string Kind, string Node, bool Finished, int? Code, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);

/// <summary>
/// A task held by one node process: only that process (its <see cref="InstanceId"/>) may heartbeat or
/// finish it. <see cref="Seq"/> orders the deploys of one content item by when they were asked for.
/// </summary>
public sealed record HeldTask(string Id, string InstanceId, long Seq, string Kind = "deploy")
{
    /// <summary>The line a failure of this task ends its output with ("Deploy failed: ...", "Render failed: ...").</summary>
    public string FailedLine(string reason) => TaskRepository.FailedLine(Kind, reason);
}

/// <summary>How a held task's completion went.</summary>
public enum CompletionOutcome
{
    /// <summary>The work was applied and the task finished as succeeded, together.</summary>
    Applied,

    /// <summary>The task finished as failed, for the reason the work gave (e.g. a newer deploy is live).</summary>
    Refused,

    /// <summary>Nothing was applied: the task had already been finished (failed) by someone else.</summary>
    ClaimLost,
}

/// <summary>
/// Tasks (deploys, renders) live in the database, so whichever node a poll reaches can answer it,
/// whichever node runs the task. A running task is held by its node process and heartbeats; one whose
/// holder stops, freezes or loses the database is failed by the next poll, exactly once, and its
/// holder can then no longer make anything live.
/// </summary>
public sealed class TaskRepository(ConnectDatabase database)
{
    /// <summary>How often a holder heartbeats its task.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);

    /// <summary>A task whose heartbeat is older than this is failed by the next poll.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Deletes finished tasks (and their output) that finished more than <paramref name="age"/> ago, or that are past the
    /// newest <paramref name="keepPerContent"/> finished ones of their item (0: no such bound). Running tasks stay.
    /// Returns how many went.
    /// </summary>
    public async Task<int> PruneAsync(TimeSpan age, int keepPerContent, CancellationToken cancellationToken = default)
    {
        var doomed = database.Sql("""
            SELECT id FROM tasks WHERE finished = 1 AND (finished_at < {{NOW}} - @ageMs OR (@keep > 0 AND id IN (
                SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY content_id ORDER BY created_at DESC, id DESC) AS n
                                FROM tasks WHERE finished = 1) ranked
                WHERE n > @keep)))
            """);
        var parameters = new { ageMs = (long)age.TotalMilliseconds, keep = keepPerContent };
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM task_output WHERE task_id IN ({doomed})", parameters, transaction, cancellationToken: cancellationToken));
        var deleted = await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM tasks WHERE id IN ({doomed})", parameters, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    /// <summary>A failed task's last line, named for what failed: a render is not a deploy.</summary>
    public static string FailedLine(string kind, string reason) => $"{(kind == "render" ? "Render" : "Deploy")} failed: {reason}";

    public async Task<string> CreateAsync(string kind, string node, long? contentId, long? userId, CancellationToken cancellationToken = default) =>
        (await CreateHeldAsync(kind, node, Guid.NewGuid().ToString("N"), contentId, userId, cancellationToken)).Id;

    /// <summary>Creates a task held by <paramref name="instanceId"/>; a deploy (kind <c>deploy</c>) also takes the content's next deploy number.</summary>
    public async Task<HeldTask> CreateHeldAsync(string kind, string node, string instanceId, long? contentId, long? userId, CancellationToken cancellationToken = default)
    {
        var id = Guid.NewGuid().ToString("N");
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        var seq = kind != "deploy" || contentId is null ? 0 : await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "UPDATE content SET deploy_seq = deploy_seq + 1 WHERE id = @contentId RETURNING deploy_seq", new { contentId }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            INSERT INTO tasks (id, content_id, user_id, kind, node, instance_id, seq, heartbeat_at, created_at)
            VALUES (@id, @contentId, @userId, @kind, @node, @instanceId, @seq, {{NOW}}, {{NOW}})
            """), new { id, contentId, userId, kind, node, instanceId, seq }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new HeldTask(id, instanceId, seq, kind);
    }

    /// <summary>Keeps a held task alive; false once it is no longer this holder's (it was failed elsewhere).</summary>
    public async Task<bool> HeartbeatAsync(HeldTask task, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE tasks SET heartbeat_at = {{NOW}} WHERE id = @Id AND instance_id = @InstanceId AND finished = 0"),
            task, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>
    /// Finishes a held task and applies its result in one transaction: <paramref name="apply"/> runs only
    /// while the task is still this holder's, and returns null (applied: the task succeeds with
    /// <paramref name="successLine"/>) or why it could not be (the task fails with that error). A task
    /// can never end both failed and applied.
    /// </summary>
    public async Task<CompletionOutcome> CompleteAsync(
        HeldTask task, string successLine, Func<DbConnection, DbTransaction, Task<string?>> apply, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        var held = await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE tasks SET finished = 1, code = 0, finished_at = {{NOW}} WHERE id = @Id AND instance_id = @InstanceId AND finished = 0"),
            task, transaction, cancellationToken: cancellationToken));
        if (held == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            // An earlier attempt of this holder may have committed with its answer lost on the way back (the database
            // stalled, the attempt's deadline passed): only the holder's success finishes a task with code 0.
            var applied = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM tasks WHERE id = @Id AND instance_id = @InstanceId AND finished = 1 AND code = 0", task, cancellationToken: cancellationToken));
            return applied > 0 ? CompletionOutcome.Applied : CompletionOutcome.ClaimLost;
        }

        var refusal = await apply(connection, transaction);
        if (refusal is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE tasks SET code = 1, error = @refusal WHERE id = @Id", new { task.Id, refusal }, transaction, cancellationToken: cancellationToken));
        }

        await AppendAsync(connection, transaction, task.Id, [refusal is null ? successLine : task.FailedLine(refusal)], cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return refusal is null ? CompletionOutcome.Applied : CompletionOutcome.Refused;
    }

    /// <summary>Fails a held task; false when it was already finished (by a poll that found it abandoned).</summary>
    public async Task<bool> FailAsync(HeldTask task, string error, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        var failed = await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE tasks SET finished = 1, code = 1, error = @error, finished_at = {{NOW}} WHERE id = @Id AND instance_id = @InstanceId AND finished = 0"),
            new { task.Id, task.InstanceId, error }, transaction, cancellationToken: cancellationToken)) == 1;
        if (failed)
        {
            await AppendAsync(connection, transaction, task.Id, [task.FailedLine(error)], cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return failed;
    }

    public async Task AppendAsync(string id, IReadOnlyList<string> lines, CancellationToken cancellationToken = default)
    {
        if (lines.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        await AppendAsync(connection, transaction, id, lines, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task AppendAsync(DbConnection connection, DbTransaction transaction, string id, IReadOnlyList<string> lines, CancellationToken cancellationToken)
    {
        var next = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT MAX(line_no) FROM task_output WHERE task_id = @id", new { id }, transaction, cancellationToken: cancellationToken)) ?? -1;
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO task_output (task_id, line_no, line) VALUES (@id, @lineNo, @line)",
            lines.Select((line, i) => new { id, lineNo = next + 1 + i, line }),
            transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Finishes an unfinished task; false when it was finished already.</summary>
    public async Task<bool> FinishAsync(string id, int code, string? error, string? result = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE tasks SET finished = 1, code = @code, error = @error, result = @result, finished_at = {{NOW}} WHERE id = @id AND finished = 0"),
            new { id, code, error, result }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Fails what an earlier process of this node left unfinished; called as the node starts again.</summary>
    public async Task<int> FailUnfinishedAsync(string node, string? instanceId = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("""
                UPDATE tasks SET finished = 1, code = 1, error = @error, finished_at = {{NOW}}
                WHERE node = @node AND finished = 0 AND (@instanceId IS NULL OR instance_id IS NULL OR instance_id <> @instanceId)
                """),
            new { node, instanceId, error = $"node {node} restarted before finishing this task; nothing of it went live. Run it again." }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The task with its output from line <paramref name="first"/> on. A task whose node has stopped
    /// or gone missing can never finish, so it is finished here as failed instead of leaving its
    /// client polling for ever. With <paramref name="judgeAbandonment"/> false (the asker has just been cut off
    /// from the database, as every holder was) a stale heartbeat is not held against the task.
    /// </summary>
    public async Task<TaskState?> GetAsync(string id, int first = 0, CancellationToken cancellationToken = default, bool judgeAbandonment = true)
    {
        first = Math.Max(0, first);
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(database.Sql("""
            SELECT t.id, t.content_id, t.user_id, t.kind, t.node, t.finished, t.code, t.error, t.result, t.heartbeat_at,
                   n.stopped_at AS node_stopped_at, n.heartbeat_at AS node_heartbeat_at, {{NOW}} AS database_now
            FROM tasks t LEFT JOIN nodes n ON n.name = t.node
            WHERE t.id = @id
            """), new { id }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var abandoned = row.Finished != 0 || !judgeAbandonment ? null
            : row.NodeStoppedAt is not null || row.NodeHeartbeatAt is { } beat && row.DatabaseNow - beat > NodeRegistry.MissingAfter.TotalMilliseconds
                ? $"node {row.Node} stopped before finishing this task; nothing of it went live. Run it again."
            : row.HeartbeatAt is { } held && row.DatabaseNow - held > AbandonedAfter.TotalMilliseconds
                ? $"node {row.Node} stopped reporting on this task (frozen, or cut off from the database); nothing of it went live. Run it again."
            : null;
        if (abandoned is not null)
        {
            // Once, whoever polls first: the holder can no longer finish it, so nothing of it can go live.
            if (await FinishAsync(id, 1, abandoned, cancellationToken: cancellationToken))
            {
                await AppendAsync(id, [FailedLine(row.Kind, abandoned)], cancellationToken);
            }

            return await GetAsync(id, first, cancellationToken, judgeAbandonment);
        }

        var lines = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT line FROM task_output WHERE task_id = @id AND line_no >= @first ORDER BY line_no", new { id, first }, cancellationToken: cancellationToken))).ToList();
        return new TaskState(row.Id, row.ContentId, row.UserId, row.Kind, row.Node, lines, first, first + lines.Count,
            row.Finished == 1, row.Code, row.Error, row.Result);
    }

    /// <summary>The newest <paramref name="count"/> tasks (deploys, renders) of one content item, newest first.</summary>
    public async Task<IReadOnlyList<TaskSummary>> ListForContentAsync(long contentId, int count, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string Kind, string Node, int Finished, int? Code, string? Error, long CreatedAt, long? FinishedAt)>(
            new CommandDefinition("""
                SELECT id, kind, node, finished, code, error, created_at, finished_at FROM tasks
                WHERE content_id = @contentId ORDER BY created_at DESC, id LIMIT @count
                """, new { contentId, count }, cancellationToken: cancellationToken));
        return rows.Select(r => new TaskSummary(r.Id, r.Kind, r.Node, r.Finished == 1, r.Code, r.Error,
            DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.FinishedAt is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null)).ToList();
    }

    private sealed record Row
    {
        public string Id { get; init; } = "";
        public long? ContentId { get; init; }
        public long? UserId { get; init; }
        public string Kind { get; init; } = "";
        public string Node { get; init; } = "";
        public int Finished { get; init; }
        public int? Code { get; init; }
        public string? Error { get; init; }
        public string? Result { get; init; }
        public long? HeartbeatAt { get; init; }
        public long? NodeStoppedAt { get; init; }
        public long? NodeHeartbeatAt { get; init; }
        public long DatabaseNow { get; init; }
    }
}
