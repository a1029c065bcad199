using System.Collections.Concurrent;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Usage;

namespace Connect.Runtime.Usage;

/// <summary>
/// Takes usage and audit records (page views, Shiny sessions, changes made through the API) from the request path
/// without ever waiting on the database: page views are tallied per page and second (<see cref="VisitTally"/>), the
/// rest queued, and all written in batches every <see cref="FlushEvery"/>. While the database is away they wait (at
/// most <see cref="MaxQueued"/> of each kind; past that, new ones are counted and dropped, and the count is logged); on
/// a clean stop what is queued is written.
/// </summary>
internal sealed partial class UsageRecorder(UsageRepository usage, ConnectOptions options, TimeProvider clock, ILogger<UsageRecorder> logger) : BackgroundService
{
    private readonly bool _instrumentation = options.Metrics.Instrumentation;

    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(2);

    private const int MaxQueued = 200_000;
    private const int Batch = 5_000;

    private readonly VisitTally _tally = new(MaxQueued);
    private readonly Pending<ContentVisit> _visits = new();
    private readonly Pending<ShinySession> _sessions = new();
    private readonly Pending<AuditEntry> _audit = new();
    private long _dropped;

    /// <summary>
    /// A request that counts as a view of an item: a GET of its root, a folder or an HTML page. Its scripts, styles,
    /// images and an API's calls do not.
    /// </summary>
    public static bool IsPageView(HttpRequest request, string? path) =>
        HttpMethods.IsGet(request.Method) && !request.HttpContext.WebSockets.IsWebSocketRequest
        && (string.IsNullOrEmpty(path) || path.EndsWith('/') || path.EndsWith(".html", StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(".htm", StringComparison.OrdinalIgnoreCase));

    public void Visit(long contentId, long? userId, long? bundleId, string path)
    {
        if (_instrumentation && !_tally.Add(contentId, userId, bundleId, path, clock.GetUtcNow()))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public void ShinySession(long contentId, long? userId, DateTimeOffset started)
    {
        if (_instrumentation)
        {
            Enqueue(_sessions, new ShinySession(contentId, userId, started, clock.GetUtcNow()));
        }
    }

    public void Audit(long? userId, string userDescription, string action, string eventDescription) =>
        Enqueue(_audit, new AuditEntry(userId, userDescription, action, eventDescription, clock.GetUtcNow()));

    /// <summary>Queues a record, or counts it as dropped once <see cref="MaxQueued"/> of its kind wait.</summary>
    private void Enqueue<T>(Pending<T> queue, T record)
    {
        if (!queue.TryAdd(record))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushEvery, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken, everything: true);
    }

    /// <summary>
    /// Writes what is queued, a batch at a time; what cannot be written now stays queued, in order. Page views of the
    /// second under way stay in their tallies (more may come) unless <paramref name="everything"/> (a stop).
    /// </summary>
    internal async Task FlushAsync(CancellationToken cancellationToken, bool everything = false)
    {
        foreach (var visit in _tally.Take(everything ? null : clock.GetUtcNow().ToUnixTimeSeconds()))
        {
            Enqueue(_visits, visit);
        }

        if (Interlocked.Exchange(ref _dropped, 0) is var dropped and > 0)
        {
            LogDropped(dropped);
        }

        while (!_visits.IsEmpty || !_sessions.IsEmpty || !_audit.IsEmpty)
        {
            var visits = _visits.Peek(Batch);
            var sessions = _sessions.Peek(Batch);
            var audit = _audit.Peek(Batch);
            try
            {
                await usage.AddAsync(visits, sessions, audit, cancellationToken);
            }
            catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e) || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return; // the next tick tries again
            }

            _visits.Remove(visits.Count);
            _sessions.Remove(sessions.Count);
            _audit.Remove(audit.Count);
        }
    }

    /// <summary>
    /// One kind of record waiting to be written, with its own bound (a flood of page views never crowds out the audit
    /// log). The bound is kept on a counter: <see cref="ConcurrentQueue{T}.Count"/> takes a lock once the queue spans
    /// segments, which every request would then contend for.
    /// </summary>
    private sealed class Pending<T>
    {
        private readonly ConcurrentQueue<T> _queue = new();
        private long _count;

        public bool IsEmpty => _queue.IsEmpty;

        public bool TryAdd(T record)
        {
            if (Interlocked.Increment(ref _count) > MaxQueued)
            {
                Interlocked.Decrement(ref _count);
                return false;
            }

            _queue.Enqueue(record);
            return true;
        }

        /// <summary>The oldest <paramref name="count"/> records, left queued until <see cref="Remove"/> (after they are written).</summary>
        public List<T> Peek(int count) => _queue.Take(count).ToList();

        public void Remove(int count)
        {
            for (var i = 0; i < count; i++)
            {
                _queue.TryDequeue(out _);
            }

            Interlocked.Add(ref _count, -count);
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "{Count} usage records were dropped: the database was away for long and the queue was full")]
    private partial void LogDropped(long count);
}
