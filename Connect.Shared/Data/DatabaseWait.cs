namespace Connect.Shared.Data;

/// <summary>
/// For work that cannot go on without the database but should not fail for a short outage either (a deploy's render
/// needs its item's variables; its result must be recorded): each attempt gets a deadline, so a database that hangs
/// counts like one that refuses, and attempts are repeated, further and further apart, for as long as the work allows.
/// </summary>
public static class DatabaseWait
{
    /// <summary>How long one attempt may take before it counts as failed.</summary>
    public static readonly TimeSpan AttemptDeadline = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestDelay = TimeSpan.FromSeconds(5);

    /// <summary>
    /// One call that may take at most <paramref name="deadline"/>: its token ends then, and the caller stops waiting then
    /// too (a driver stuck on a frozen server may not notice its token at once). Past the deadline it throws
    /// <see cref="OperationCanceledException"/> while <paramref name="cancellationToken"/> is still live.
    /// </summary>
    public static async Task<T> WithinAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(deadline);
        return await call(attempt.Token).WaitAsync(attempt.Token);
    }

    /// <summary>
    /// <paramref name="call"/>'s result, attempted again while the database is away, until <paramref name="patience"/>
    /// has passed (the last failure is thrown then). <paramref name="retrying"/> hears of each failure that is retried.
    /// </summary>
    public static async Task<T> ForAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan patience, CancellationToken cancellationToken,
        Action<Exception>? retrying = null)
    {
        var giveUpAt = DateTime.UtcNow + patience;
        for (var delay = FirstDelay; ; delay = delay * 2 < LongestDelay ? delay * 2 : LongestDelay)
        {
            try
            {
                return await WithinAsync(call, AttemptDeadline, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && DateTime.UtcNow < giveUpAt
                && (e is OperationCanceledException || DatabaseErrors.IsConnectionProblem(e)))
            {
                retrying?.Invoke(e);
                await Task.Delay(delay, cancellationToken);
            }
        }
    }
}
