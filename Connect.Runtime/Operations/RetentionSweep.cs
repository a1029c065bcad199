using Connect.Runtime.Processes;
using Connect.Runtime.Publishing;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Files;
using Connect.Shared.Operations;
using Connect.Shared.Scheduling;
using Connect.Shared.Tasks;

namespace Connect.Runtime.Operations;

/// <summary>
/// Keeps what a server accumulates over years bounded: finished tasks (with their output) and finished scheduled
/// renders (with their logs) past <c>Applications.HistoryRetention</c> or <c>HistoryRetentionLimit</c>, workers' logs past
/// <c>HistoryRetention</c>, usage records
/// past <c>Applications.UsageRetention</c>, and bundles past
/// <c>Applications.BundleRetentionLimit</c> (see <see cref="BundleRepository.PrunableAsync"/> for what is never taken).
/// Every node sweeps; each deletion is safe to repeat, and what is needed is read from the database. A backup's pause
/// is waited out: it is copying what a sweep would remove.
/// </summary>
internal sealed partial class RetentionSweep(
    TaskRepository tasks, JobRepository jobs, Shared.Usage.UsageRepository usage, BundleRepository bundles, BundleStore store, WorkerPool pool, MaintenancePause pause,
    ConnectOptions options, TimeProvider clock, ILogger<RetentionSweep> logger) : BackgroundService
{
    private static readonly TimeSpan HistoryInterval = TimeSpan.FromHours(1);

    private TimeSpan Interval => options.Applications.BundleReapFrequency < HistoryInterval ? options.Applications.BundleReapFrequency : HistoryInterval;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(Interval, clock);
            var lastBundleSweep = DateTimeOffset.MinValue;
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (await pause.ActiveAsync(stoppingToken) is not null)
                {
                    continue;
                }

                await SweepHistoryAsync(stoppingToken);
                // Half a tick of slack: a timer's tick may come a hair early, and that must not put the sweep off a whole period.
                if (options.Applications.BundleRetentionLimit > 0 && clock.GetUtcNow() - lastBundleSweep >= options.Applications.BundleReapFrequency - Interval / 2)
                {
                    lastBundleSweep = clock.GetUtcNow();
                    await SweepBundlesAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SweepHistoryAsync(CancellationToken cancellationToken)
    {
        try
        {
            var a = options.Applications;
            var taskCount = await tasks.PruneAsync(a.HistoryRetention, a.HistoryRetentionLimit, cancellationToken);
            var jobLogs = await jobs.PruneAsync(a.HistoryRetention, a.HistoryRetentionLimit, cancellationToken);
            foreach (var log in jobLogs)
            {
                NoFollowTree.Delete(Path.Combine(options.DataDir, log));
            }

            if (taskCount + jobLogs.Count > 0)
            {
                LogHistorySwept(taskCount, jobLogs.Count);
            }

            await usage.PruneAsync(a.UsageRetention, cancellationToken);
            SweepWorkerLogs(clock.GetUtcNow() - a.HistoryRetention);
        }
        catch (Exception e) when (Sweepable(e))
        {
            LogSweepFailed(e, "finished tasks and scheduled renders");
        }
    }

    /// <summary>
    /// Worker logs (<c>logs/{guid}/{node}-{time}-{id}.log</c>, one per worker start) last written before
    /// <paramref name="cutoff"/>; never one of a worker running here. A render's log goes with its job (above). The logs
    /// folder is the node's own (content never sees it), so its files are plain to delete.
    /// </summary>
    private void SweepWorkerLogs(DateTimeOffset cutoff)
    {
        var logs = Path.Combine(options.DataDir, DataLayout.Logs);
        if (!Directory.Exists(logs))
        {
            return;
        }

        var running = pool.Workers.Select(w => Path.GetFullPath(w.LogPath)).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        foreach (var folder in Directory.EnumerateDirectories(logs))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.log"))
            {
                if (!Path.GetFileName(file).StartsWith("job-", StringComparison.Ordinal) && !running.Contains(Path.GetFullPath(file))
                    && File.GetLastWriteTimeUtc(file) < cutoff.UtcDateTime)
                {
                    File.Delete(file);
                    removed++;
                }
            }
        }

        if (removed > 0)
        {
            LogWorkerLogsSwept(removed);
        }
    }

    private async Task SweepBundlesAsync(CancellationToken cancellationToken)
    {
        try
        {
            // A worker on this node may still run an old bundle (a long Shiny session); other nodes' are covered by
            // the settling time (PrunableAsync).
            var running = pool.Workers.Select(w => w.BundleId).ToHashSet();
            var removed = 0;
            foreach (var bundle in await bundles.PrunableAsync(options.Applications.BundleRetentionLimit, options.Applications.BundleReapFrequency, cancellationToken))
            {
                if (running.Contains(bundle.Id))
                {
                    continue;
                }

                await bundles.DeleteAsync(bundle.Id, cancellationToken);
                store.DeleteBundleFiles(bundle);
                removed++;
            }

            if (removed > 0)
            {
                LogBundlesSwept(removed, options.Applications.BundleRetentionLimit);
            }
        }
        catch (Exception e) when (Sweepable(e))
        {
            LogSweepFailed(e, "old bundles");
        }
    }

    private static bool Sweepable(Exception e) =>
        e is not OperationCanceledException && (DatabaseErrors.IsConnectionProblem(e) || e is IOException or UnauthorizedAccessException);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Removed {Tasks} finished tasks and {Jobs} finished scheduled renders past Applications.HistoryRetention")]
    private partial void LogHistorySwept(int tasks, int jobs);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Removed {Count} old bundles with their files (Applications.BundleRetentionLimit = {Limit})")]
    private partial void LogBundlesSwept(int count, int limit);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Removed {Count} worker logs past Applications.HistoryRetention")]
    private partial void LogWorkerLogsSwept(int count);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Could not sweep {What} this time; the next pass tries again")]
    private partial void LogSweepFailed(Exception e, string what);
}
