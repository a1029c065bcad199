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
    string? Result);

/// <summary>
/// Tasks (deploys, renders) live in the database, so whichever node a poll reaches can answer it,
/// whichever node runs the task.
/// </summary>
public sealed class TaskRepository(ConnectDatabase database)
{
    public async Task<string> CreateAsync(string kind, string node, long? contentId, long? userId, CancellationToken cancellationToken = default)
    {
        var id = Guid.NewGuid().ToString("N");
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            database.Sql("INSERT INTO tasks (id, content_id, user_id, kind, node, created_at) VALUES (@id, @contentId, @userId, @kind, @node, {{NOW}})"),
            new { id, contentId, userId, kind, node });
        return id;
    }

    public async Task AppendAsync(string id, IReadOnlyList<string> lines, CancellationToken cancellationToken = default)
    {
        if (lines.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        var next = await connection.ExecuteScalarAsync<int?>("SELECT MAX(line_no) FROM task_output WHERE task_id = @id", new { id }, transaction) ?? -1;
        await connection.ExecuteAsync(
            "INSERT INTO task_output (task_id, line_no, line) VALUES (@id, @lineNo, @line)",
            lines.Select((line, i) => new { id, lineNo = next + 1 + i, line }),
            transaction);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task FinishAsync(string id, int code, string? error, string? result = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            database.Sql("UPDATE tasks SET finished = 1, code = @code, error = @error, result = @result, finished_at = {{NOW}} WHERE id = @id AND finished = 0"),
            new { id, code, error, result });
    }

    /// <summary>Fails what a node left unfinished when it last stopped; called as the node starts again.</summary>
    public async Task<int> FailUnfinishedAsync(string node, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            database.Sql("UPDATE tasks SET finished = 1, code = 1, error = @error, finished_at = {{NOW}} WHERE node = @node AND finished = 0"),
            new { node, error = $"node {node} restarted before finishing this task; run it again" });
    }

    /// <summary>
    /// The task with its output from line <paramref name="first"/> on. A task whose node has stopped
    /// or gone missing can never finish, so it is finished here as failed instead of leaving its
    /// client polling for ever.
    /// </summary>
    public async Task<TaskState?> GetAsync(string id, int first = 0, CancellationToken cancellationToken = default)
    {
        first = Math.Max(0, first);
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(database.Sql("""
            SELECT t.id, t.content_id, t.user_id, t.kind, t.node, t.finished, t.code, t.error, t.result,
                   n.stopped_at AS node_stopped_at, n.heartbeat_at AS node_heartbeat_at, {{NOW}} AS database_now
            FROM tasks t LEFT JOIN nodes n ON n.name = t.node
            WHERE t.id = @id
            """), new { id });
        if (row is null)
        {
            return null;
        }

        if (row.Finished == 0 && (row.NodeStoppedAt is not null
            || row.NodeHeartbeatAt is { } beat && row.DatabaseNow - beat > NodeRegistry.MissingAfter.TotalMilliseconds))
        {
            var error = $"node {row.Node} stopped before finishing this task; run it again";
            await FinishAsync(id, 1, error, cancellationToken: cancellationToken);
            row = row with { Finished = 1, Code = 1, Error = error };
        }

        var lines = (await connection.QueryAsync<string>(
            "SELECT line FROM task_output WHERE task_id = @id AND line_no >= @first ORDER BY line_no", new { id, first })).ToList();
        return new TaskState(row.Id, row.ContentId, row.UserId, row.Kind, row.Node, lines, first, first + lines.Count,
            row.Finished == 1, row.Code, row.Error, row.Result);
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
        public long? NodeStoppedAt { get; init; }
        public long? NodeHeartbeatAt { get; init; }
        public long DatabaseNow { get; init; }
    }
}
