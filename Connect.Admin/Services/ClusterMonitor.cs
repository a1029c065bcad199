namespace Connect.Admin.Services;

/// <summary>
/// The console's one reader of the cluster: it reads the database every <see cref="Interval"/> (each node's
/// charts every <see cref="HistoryEvery"/>) and hands every open page the same snapshot through
/// <see cref="Changed"/>. Pages re-render on it, and Blazor Server pushes the change to each browser over its
/// SignalR circuit: however many tabs are open, the database sees one reader per console.
/// </summary>
public sealed class ClusterMonitor(IClusterSource source, TimeProvider clock, ILogger<ClusterMonitor> logger) : BackgroundService, IClusterFeed
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan HistoryEvery = TimeSpan.FromSeconds(10);

    public ClusterSnapshot? Current { get; private set; }

    /// <summary>Raised after every read, on the monitor's thread (pages use InvokeAsync).</summary>
    public event Action<ClusterSnapshot>? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastHistory = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                var now = clock.GetUtcNow();
                var withHistory = now - lastHistory >= HistoryEvery;
                var snapshot = await source.GetAsync(withHistory, stoppingToken);
                if (withHistory)
                {
                    lastHistory = now;
                }
                else if (Current is not null)
                {
                    // Charts change every few seconds only: keep the last ones read.
                    snapshot = snapshot with
                    {
                        Status = snapshot.Status.Select(s => s with { History = Current.StatusOf(s.Node)?.History }).ToList(),
                    };
                }

                Current = snapshot;
                Changed?.Invoke(snapshot);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Reading the cluster failed");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
