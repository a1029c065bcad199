using Connect.Shared.Content;

namespace Connect.Runtime.Processes;

/// <summary>
/// Once a second: stops idle and outdated workers and starts workers for content whose MinProcesses
/// are not running on this node. On shutdown it stops every worker before the node exits.
/// </summary>
internal sealed partial class WorkerSupervisor(WorkerPool pool, ContentRepository contents, BundleRepository bundles, TimeProvider clock, ILogger<WorkerSupervisor> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var runnable = (await contents.ListRunnableAsync(stoppingToken)).ToDictionary(c => c.Id);
                pool.StopIdle(runnable);
                foreach (var content in runnable.Values.Where(c => WorkerSettings.For(c, pool.SchedulerOptions).MinProcesses > 0))
                {
                    if (await bundles.GetAsync(content.ActiveBundleId!.Value, stoppingToken) is { } bundle)
                    {
                        await pool.KeepWarmAsync(content, bundle, stoppingToken);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(e.Message, e);
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await pool.StopAllAsync().WaitAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 420, Level = LogLevel.Warning, Message = "Worker supervision pass failed: {Reason}")]
    private partial void LogFailed(string reason, Exception exception);
}
