using System.Collections.Concurrent;
using Connect.Shared.Data;
using Connect.Shared.Usage;

namespace Connect.Runtime.Usage;

/// <summary>
/// Takes usage and audit records (page views, Shiny sessions, changes made through the API) from the request path without ever waiting on the database: they are
/// queued in memory and written in batches every <see cref="FlushEvery"/>. While the database is away they wait (at most
/// <see cref="MaxQueued"/> of each kind; past that, new ones are counted and dropped, and the count is logged); on a
/// clean stop what is queued is written.
/// </summary>
internal sealed partial class UsageRecorder(UsageRepository usage, TimeProvider clock, ILogger<UsageRecorder> logger) : BackgroundService
{
    public static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(2);

    private const int MaxQueued = 100_000;
    private const int Batch = 1_000;

    private readonly ConcurrentQueue<ContentVisit> _visits = new();
    private readonly ConcurrentQueue<ShinySession> _sessions = new();
    private readonly ConcurrentQueue<AuditEntry> _audit = new();
    private long _dropped;

    /// <summary>
    /// A request that counts as a view of an item: a GET of its root, a folder or an HTML page. Its scripts, styles,
    /// images and an API's calls do not.
    /// </summary>
    public static bool IsPageView(HttpRequest request, string? path) =>
        HttpMethods.IsGet(request.Method) && !request.HttpContext.WebSockets.IsWebSocketRequest
        && (string.IsNullOrEmpty(path) || path.EndsWith('/') || path.EndsWith(".html", StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(".htm", StringComparison.OrdinalIgnoreCase));

    public void Visit(long contentId, long? userId, long? bundleId, string path) =>
        Enqueue(_visits, new ContentVisit(contentId, userId, bundleId, path, clock.GetUtcNow()));

    public void ShinySession(long contentId, long? userId, DateTimeOffset started) =>
        Enqueue(_sessions, new ShinySession(contentId, userId, started, clock.GetUtcNow()));

    public void Audit(long? userId, string userDescription, string action, string eventDescription) =>
        Enqueue(_audit, new AuditEntry(userId, userDescription, action, eventDescription, clock.GetUtcNow()));

    /// <summary>Queues a record, or counts it as dropped once <see cref="MaxQueued"/> of its kind wait.</summary>
    private void Enqueue<T>(ConcurrentQueue<T> queue, T record)
    {
        if (queue.Count < MaxQueued)
        {
            queue.Enqueue(record);
        }
        else
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
        await FlushAsync(cancellationToken);
    }

    /// <summary>Writes what is queued, a batch at a time; what cannot be written now stays queued, in order.</summary>
    internal async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _dropped, 0) is var dropped and > 0)
        {
            LogDropped(dropped);
        }

        while (!_visits.IsEmpty || !_sessions.IsEmpty || !_audit.IsEmpty)
        {
            var visits = _visits.Take(Batch).ToList();
            var sessions = _sessions.Take(Batch).ToList();
            var audit = _audit.Take(Batch).ToList();
            try
            {
                await usage.AddAsync(visits, sessions, audit, cancellationToken);
            }
            catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e) || e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return; // the next tick tries again
            }

            for (var i = 0; i < visits.Count; i++)
            {
                _visits.TryDequeue(out _);
            }

            for (var i = 0; i < sessions.Count; i++)
            {
                _sessions.TryDequeue(out _);
            }

            for (var i = 0; i < audit.Count; i++)
            {
                _audit.TryDequeue(out _);
            }
        }
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "{Count} usage records were dropped: the database was away for long and the queue was full")]
    private partial void LogDropped(long count);
}
