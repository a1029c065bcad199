using Connect.Shared.Data;
using Connect.Shared.Tasks;

namespace Connect.Runtime.Publishing;

/// <summary>
/// A running task's output lines on their way to the database. Writing never waits for the database: lines
/// are sent in the background, in order, and those that cannot be sent while the database is away wait for
/// the next attempt, so an outage neither fails the work (a render goes on printing) nor loses its lines.
/// <see cref="FlushAsync"/> sends what is left before the task's result is recorded.
/// </summary>
internal sealed class TaskOutput(TaskRepository tasks, string taskId, TimeProvider clock)
{
    /// <summary>Lines kept at most while the database is away; later ones are counted, not kept.</summary>
    private const int MaxPending = 10_000;

    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly List<string> _pending = [];
    private Task _background = Task.CompletedTask;
    private DateTimeOffset _lastFailure = DateTimeOffset.MinValue;
    private int _dropped;

    public Task WriteAsync(string line)
    {
        lock (_lock)
        {
            if (_pending.Count < MaxPending)
            {
                _pending.Add(line);
            }
            else
            {
                _dropped++;
            }

            if (_background.IsCompleted && clock.GetUtcNow() - _lastFailure >= RetryAfter)
            {
                _background = SendInBackgroundAsync();
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Sends every line written so far; throws (keeping them) if the database is away.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await SendPendingAsync(cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task SendInBackgroundAsync()
    {
        try
        {
            await FlushAsync();
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            lock (_lock)
            {
                _lastFailure = clock.GetUtcNow();
            }
        }
    }

    private async Task SendPendingAsync(CancellationToken cancellationToken)
    {
        List<string> lines;
        int dropped;
        lock (_lock)
        {
            lines = [.. _pending];
            dropped = _dropped;
            if (dropped > 0)
            {
                lines.Add($"[connect] {dropped} more output lines were lost while the database was away");
            }
        }

        if (lines.Count == 0)
        {
            return;
        }

        await tasks.AppendAsync(taskId, lines, cancellationToken);
        lock (_lock)
        {
            _pending.RemoveRange(0, lines.Count - (dropped > 0 ? 1 : 0));
            _dropped -= dropped;
        }
    }
}
