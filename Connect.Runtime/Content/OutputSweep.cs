using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Operations;

namespace Connect.Runtime.Content;

/// <summary>
/// Removes rendered outputs nothing needs any more (see <see cref="RenderedOutputs"/>): a minute after start,
/// which takes what a crash left, then hourly, so a report rendered every few minutes does not fill the disk
/// over the years. Every node sweeps; they agree on what is needed, as that is read from the database.
/// </summary>
internal sealed partial class OutputSweep(RenderedOutputs outputs, MaintenancePause pause, ConnectOptions options, TimeProvider clock, ILogger<OutputSweep> logger) : BackgroundService
{
    private static readonly TimeSpan FirstSweep = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(FirstSweep, clock, stoppingToken);
            using var timer = new PeriodicTimer(Interval, clock);
            do
            {
                await SweepAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        try
        {
            // A backup is copying outputs; the next hourly pass sweeps them.
            if (await pause.ActiveAsync(cancellationToken) is not null)
            {
                return;
            }

            var removed = await outputs.SweepAsync(options.DataDir, clock.GetUtcNow(), cancellationToken);
            if (removed.Count > 0)
            {
                LogSwept(removed.Count);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && (DatabaseErrors.IsConnectionProblem(e) || e is IOException or UnauthorizedAccessException))
        {
            LogSweepFailed(e.Message, e);
        }
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Information, Message = "Removed {Count} rendered outputs that are no longer live")]
    private partial void LogSwept(int count);

    [LoggerMessage(EventId = 331, Level = LogLevel.Warning, Message = "Could not sweep rendered outputs this time: {Reason}")]
    private partial void LogSweepFailed(string reason, Exception exception);
}
