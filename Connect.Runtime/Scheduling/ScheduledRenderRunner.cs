using System.Text;
using Connect.Runtime.Content;
using Connect.Runtime.R;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Files;
using Connect.Shared.Scheduling;

namespace Connect.Runtime.Scheduling;

/// <summary>
/// Runs scheduled renders on this node, at most <c>Applications.ScheduleConcurrency</c> at once
/// (0: none here). It looks for due work every <see cref="PollInterval"/>, right after each render it
/// finishes, when PostgreSQL notifies that work was queued, and at the next known due time.
/// </summary>
internal sealed partial class ScheduledRenderRunner(
    ScheduleRepository schedules,
    JobRepository jobs,
    ContentRepository contents,
    BundleRepository bundles,
    RMarkdownRenderer renderer,
    Packages.PackageRestore packages,
    ContentLookup lookup,
    ConnectDatabase database,
    ConnectOptions options,
    NodeIdentity node,
    Metrics.NodeMeters meters,
    TimeProvider clock,
    ILogger<ScheduledRenderRunner> logger) : BackgroundService
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);

    /// <summary>How often a running render proves its node is alive.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);

    /// <summary>A running render whose heartbeat is older than this is taken over by another node.</summary>
    public static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _wake = new(0);
    private int _running;

    /// <summary>Renders running on this node now.</summary>
    public int Running => Volatile.Read(ref _running);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var capacity = options.Applications.ScheduleConcurrency;
        LogStarted(node.Name, capacity);
        _ = ListenAsync(stoppingToken);
        var running = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = PollInterval;
            try
            {
                await schedules.QueueDueRunsAsync(stoppingToken);
                while (Running < capacity && await jobs.ClaimAsync(node.Name, AbandonAfter, stoppingToken) is { } job)
                {
                    Interlocked.Increment(ref _running);
                    running.Add(RunAsync(job, stoppingToken));
                }

                running.RemoveAll(t => t.IsCompleted);
                wait = await UntilNextDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogPassFailed(e.Message, e);
            }

            try
            {
                await _wake.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Let running renders finish their bookkeeping (they stop with the node).
        await Task.WhenAll(running);
    }

    private async Task<TimeSpan> UntilNextDueAsync(CancellationToken cancellationToken)
    {
        if (await schedules.NextDueAsync(cancellationToken) is not { } next)
        {
            return PollInterval;
        }

        var untilDue = next - await schedules.DatabaseNowAsync(cancellationToken);
        return untilDue < TimeSpan.Zero ? TimeSpan.FromMilliseconds(50)
            : untilDue < PollInterval ? untilDue + TimeSpan.FromMilliseconds(10)
            : PollInterval;
    }

    private async Task ListenAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var _ in database.ListenAsync(ScheduleRepository.JobsChannel, stoppingToken))
                {
                    Wake();
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogListenFailed(e.Message, e);
                await Task.Delay(PollInterval, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    private async Task RunAsync(ClaimedJob job, CancellationToken stoppingToken)
    {
        using var lost = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var heartbeat = HeartbeatAsync(job, lost);
        long bundleId = 0;
        var started = clock.GetUtcNow();
        string? output = null;
        string? logPath = null;
        try
        {
            LogClaimed(job.Id, job.Token, job.ContentId);
            var content = await contents.GetAsync(job.ContentId, stoppingToken);
            var bundle = content?.ActiveBundleId is { } active ? await bundles.GetAsync(active, stoppingToken) : null;
            if (content is null || bundle is null || bundle.AppMode != AppModes.RmdStatic)
            {
                await jobs.FinishAsync(job, bundle?.Id ?? 0, -1, "the content is no longer a deployed R Markdown document", null, null, CancellationToken.None);
                return;
            }

            bundleId = bundle.Id;
            logPath = DataLayout.RunLog(content.Guid, $"job-{job.Id}-{job.Token}.log");
            output = DataLayout.RenderOutput(content.Id, $"{bundle.Id}-job{job.Id}-{job.Token}");
            var fullLog = Path.Combine(options.DataDir, logPath);
            Directory.CreateDirectory(Path.GetDirectoryName(fullLog)!);
            int exitCode;
            await using (var log = new StreamWriter(fullLog, append: false, Encoding.UTF8) { AutoFlush = true })
            {
                await log.WriteLineAsync($"[connect] scheduled render of {bundle.PrimaryFile} on node {node.Name} (job {job.Id}, claim {job.Token})");
                var library = await packages.FoldersForAsync(content, bundle.Id, Path.Combine(options.DataDir, bundle.Path), line => log.WriteLineAsync(line), lost.Token);
                exitCode = await renderer.RenderAsync(content, bundle, library, Path.Combine(options.DataDir, output), line => log.WriteLineAsync(line), lost.Token);
            }

            var error = exitCode == 0 ? null : $"rendering {bundle.PrimaryFile} failed: R exited with code {exitCode}";
            if (await jobs.FinishAsync(job, bundle.Id, exitCode, error, logPath, error is null ? output : null, CancellationToken.None))
            {
                meters.JobCompleted(error is null, exitCode, clock.GetUtcNow() - started);
                lookup.Forget(content.Guid);
                LogFinished(job.Id, job.Token, exitCode);
                if (error is null)
                {
                    output = null; // published: keep it
                }
            }
            else
            {
                LogLostClaim(job.Id, job.Token);
            }
        }
        catch (OperationCanceledException) when (lost.IsCancellationRequested)
        {
            // Either the node is stopping (the job will be taken over once its heartbeat is stale) or
            // another node took the job: in both cases nothing of this run may be published.
            LogInterrupted(job.Id, job.Token);
        }
        catch (Exception e)
        {
            await jobs.FinishAsync(job, bundleId, -1, e.Message, logPath, null, CancellationToken.None);
        }
        finally
        {
            await lost.CancelAsync();
            await heartbeat;
            if (output is not null)
            {
                NoFollowTree.Delete(Path.Combine(options.DataDir, output)); // content wrote it: links are removed, never followed
            }

            Interlocked.Decrement(ref _running);
            Wake();
        }
    }

    private async Task HeartbeatAsync(ClaimedJob job, CancellationTokenSource lost)
    {
        try
        {
            using var timer = new PeriodicTimer(HeartbeatInterval, clock);
            while (await timer.WaitForNextTickAsync(lost.Token))
            {
                try
                {
                    if (!await jobs.HeartbeatAsync(job, lost.Token))
                    {
                        LogLostClaim(job.Id, job.Token);
                        await lost.CancelAsync();
                        return;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogHeartbeatFailed(job.Id, e.Message, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Information, Message = "Scheduled renders on node {Node}: up to {Capacity} at once")]
    private partial void LogStarted(string node, int capacity);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Claimed scheduled render job {JobId} (claim {Token}) of content {ContentId}")]
    private partial void LogClaimed(long jobId, long token, long contentId);

    [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Scheduled render job {JobId} (claim {Token}) finished with exit code {ExitCode}")]
    private partial void LogFinished(long jobId, long token, int exitCode);

    [LoggerMessage(EventId = 603, Level = LogLevel.Warning, Message = "Lost the claim on scheduled render job {JobId} (claim {Token}) to another node; its output is discarded")]
    private partial void LogLostClaim(long jobId, long token);

    [LoggerMessage(EventId = 604, Level = LogLevel.Warning, Message = "Scheduled render job {JobId} (claim {Token}) was interrupted")]
    private partial void LogInterrupted(long jobId, long token);

    [LoggerMessage(EventId = 605, Level = LogLevel.Warning, Message = "Looking for scheduled work failed: {Reason}")]
    private partial void LogPassFailed(string reason, Exception exception);

    [LoggerMessage(EventId = 606, Level = LogLevel.Warning, Message = "Heartbeat of scheduled render job {JobId} failed: {Reason}")]
    private partial void LogHeartbeatFailed(long jobId, string reason, Exception exception);

    [LoggerMessage(EventId = 607, Level = LogLevel.Warning, Message = "Listening for new scheduled work failed: {Reason}")]
    private partial void LogListenFailed(string reason, Exception exception);
}
