using Connect.Runtime.Authentication;
using Connect.Shared.Access;
using Connect.Shared.Data;
using Connect.Shared.Tasks;

namespace Connect.Runtime.Api;

/// <summary>A task as a poll of either API version reads it (who may, how long a poll waits, what it says while the database is away).</summary>
internal static class TaskAccess
{
    /// <summary>
    /// Holders re-heartbeat their tasks within a few seconds of the database coming back; until then a task
    /// is not judged abandoned by this node (a database outage longer than the abandon timeout would otherwise
    /// fail every deploy in flight, though their nodes finish them).
    /// </summary>
    private static readonly TimeSpan OutageGrace = TaskRepository.HeartbeatInterval * 3;

    /// <summary>The longest a poll's <c>wait</c> holds it.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan WaitStep = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A task for the user who started it (or an administrator), answered as soon as it has output from line
    /// <paramref name="first"/> on or has finished, else once <paramref name="wait"/> (at most <see cref="MaxWait"/>) has
    /// passed: a client polling with <c>wait</c> makes a call per line or so, not one per tick.
    /// </summary>
    public static async Task<(TaskState? Task, IResult? Error)> GetAsync(TaskRepository tasks, DatabaseHealth health, Caller caller, string id, int first,
        TimeSpan wait, TimeProvider clock, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + (wait < MaxWait ? wait : MaxWait);
        while (true)
        {
            var (task, error) = await GetAsync(tasks, health, caller, id, first, ct);
            if (error is not null || task!.Finished || task.Output.Count > 0 || clock.GetUtcNow() >= deadline)
            {
                return (task, error);
            }

            await Task.Delay(WaitStep, clock, ct);
        }
    }

    /// <summary>How long a poll waits for the database before it answers that the task is still running.</summary>
    public static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A task for the user who started it (or an administrator). While the database cannot answer, the task's state
    /// cannot be known, and a deploy goes on (and may well go live) without it: the poll is answered "not finished, no
    /// new output" so the client keeps polling until it can be told the truth, instead of reporting a failure.
    /// </summary>
    public static async Task<(TaskState? Task, IResult? Error)> GetAsync(TaskRepository tasks, DatabaseHealth health, Caller caller, string id, int first, CancellationToken ct)
    {
        TaskState? task;
        try
        {
            task = await DatabaseWait.WithinAsync(t => tasks.GetAsync(id, first, t, judgeAbandonment: !health.RecentlyCutOff(OutageGrace)), ReadDeadline, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && (e is OperationCanceledException or TimeoutException || DatabaseErrors.IsConnectionProblem(e)))
        {
            return (TaskState.NotKnownYet(id, first), null);
        }

        if (task is null)
        {
            return (null, ApiErrors.NotFound($"task {id} does not exist"));
        }

        return TaskRules.CanSee(caller, task)
            ? (task, null)
            : (null, ApiErrors.Forbidden($"task {id} was started by another user", ApiErrorCode.AccessDenied));
    }
}
