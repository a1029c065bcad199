using Connect.Runtime.Metrics;
using Connect.Runtime.Processes;
using Connect.Runtime.Proxy;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Metrics;

namespace Connect.Runtime.Cluster;

/// <summary>
/// The node's measuring loop. Every second it reads CPU and memory, publishes its live figures and workers for
/// the console (<see cref="NodeStatusRepository"/>) and carries out the console's requests to it; every
/// <c>Metrics.Interval</c> it writes a sample of each chart series to its own store and to Graphite; every
/// <see cref="HistoryEvery"/> it publishes its charts. A database that is away only delays publishing.
/// </summary>
internal sealed partial class NodeSampler(
    ConnectOptions options,
    NodeIdentity node,
    HostUsage usage,
    NodeMeters meters,
    WorkerPool pool,
    OpenWebSockets webSockets,
    MetricsStoreHolder storeHolder,
    GraphiteSender graphite,
    NodeStatusRepository status,
    NodeCommandRepository commands,
    Publishing.Deployer deployer,
    ContentRepository contents,
    BundleRepository bundles,
    ConnectDatabase database,
    TimeProvider clock,
    ILogger<NodeSampler> logger) : BackgroundService
{
    public static readonly TimeSpan HistoryEvery = TimeSpan.FromSeconds(10);

    /// <summary>The series every node stores and charts; the console sums them over the cluster.</summary>
    public static readonly IReadOnlyList<string> ChartSeries =
    [
        "host.cpu", "host.memory", "node.cpu", "node.memory", "workers", "connections", "websockets", "requests.rate", "requests.latency",
    ];

    private DateTimeOffset _lastSample = DateTimeOffset.MinValue;
    private DateTimeOffset _lastHistory = DateTimeOffset.MinValue;
    private DateTimeOffset _lastCount = DateTimeOffset.MinValue;

    /// <summary>How often the cluster's content and runs are counted (two small grouped queries).</summary>
    public static readonly TimeSpan CountEvery = TimeSpan.FromSeconds(15);
    private (long Requests, long Microseconds, DateTimeOffset At) _previousTotals;
    private long _previousRefusals;
    private bool _publishFailing;

    private NodeSettings Settings => new(
        options.MetricsDataPath, options.Database.Provider.ToString().ToLowerInvariant(), options.Applications.ScheduleConcurrency,
        options.LoadBalancing.EnforceMinRsconnectVersion, options.Metrics.Graphite, options.Prometheus.Enabled, options.OpenTelemetry.Enabled,
        Environment.MachineName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        do
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogTickFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        usage.Refresh();
        var totals = meters.Totals;
        var seconds = _previousTotals.At == default ? 0 : (now - _previousTotals.At).TotalSeconds;
        var requests = totals.Requests - _previousTotals.Requests;
        var rate = seconds > 0 ? requests / seconds : 0;
        var latency = requests > 0 ? (totals.Microseconds - _previousTotals.Microseconds) / 1000.0 / requests : 0;
        var reading = usage.Current;
        var live = new NodeLive(now, reading.HostCpuPercent, reading.HostMemoryUsedBytes, reading.HostMemoryTotalBytes,
            reading.NodeCpuPercent, reading.NodeMemoryBytes, webSockets.Count, rate, usage.Workers,
            pool.RecentExits.Select(w => new WorkerExit(w.Id, w.ContentGuid, w.StartedAt, w.ExitCode, w.ExitReason,
                BeforeListening: !w.Ready.IsCompletedSuccessfully, Path.GetFileName(w.LogPath))).ToList());

        // Half a tick of slack: the timer's ticks wander by milliseconds, and a tick just short of the interval
        // must not skip a sample.
        if (options.Metrics.Enabled && now - _lastSample >= options.Metrics.Interval - TimeSpan.FromMilliseconds(500))
        {
            _lastSample = now;
            _previousTotals = (totals.Requests, totals.Microseconds, now);
            var samples = Samples(live, latency, totals.Refusals);
            storeHolder.Store?.Write(now, samples);
            graphite.Enqueue(now, samples);
        }
        else if (!options.Metrics.Enabled)
        {
            _previousTotals = (totals.Requests, totals.Microseconds, now);
        }

        try
        {
            await status.PublishLiveAsync(node.Name, node.InstanceId, Settings, live, cancellationToken);
            if (storeHolder.Store is { } store && now - _lastHistory >= HistoryEvery)
            {
                _lastHistory = now;
                await status.PublishHistoryAsync(node.Name, History(store, now), cancellationToken);
            }

            if (now - _lastCount >= CountEvery)
            {
                _lastCount = now;
                meters.Counted(await CatalogCounts.ReadAsync(database, cancellationToken));
            }

            foreach (var command in await commands.PendingAsync(node.Name, cancellationToken))
            {
                await commands.CompleteAsync(command.Id, await CarryAsync(command, cancellationToken), cancellationToken);
            }

            _publishFailing = false;
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            if (!_publishFailing)
            {
                _publishFailing = true;
                LogPublishFailed(e.Message, e);
            }
        }
    }

    private List<Sample> Samples(NodeLive live, double latencyMs, long refusals)
    {
        List<Sample> samples =
        [
            new("host.cpu", live.HostCpuPercent),
            new("host.memory", live.HostMemoryUsedBytes),
            new("node.cpu", live.NodeCpuPercent),
            new("node.memory", live.NodeMemoryBytes),
            new("workers", live.Workers.Count),
            new("connections", live.Workers.Sum(w => w.Connections)),
            new("websockets", live.OpenWebSockets),
            new("requests.rate", live.RequestsPerSecond),
            new("requests.latency", latencyMs),
            new("refusals.capacity", refusals - _previousRefusals),
        ];
        _previousRefusals = refusals;
        foreach (var content in live.Workers.GroupBy(w => w.ContentGuid))
        {
            samples.Add(new($"content.{content.Key}.cpu", content.Sum(w => w.CpuPercent)));
            samples.Add(new($"content.{content.Key}.memory", content.Sum(w => w.MemoryBytes)));
        }

        return samples;
    }

    private static NodeHistory History(MetricsStore store, DateTimeOffset now) => new(ChartSeries.ToDictionary(
        series => series,
        series => (IReadOnlyDictionary<ChartRange, IReadOnlyList<ChartPoint>>)Enum.GetValues<ChartRange>()
            .ToDictionary(range => range, range => Thin(store.Read(series, range, now), 120))));

    /// <summary>At most <paramref name="points"/> points, each the average of its stretch: enough for a chart, small to publish.</summary>
    internal static IReadOnlyList<ChartPoint> Thin(IReadOnlyList<ChartPoint> series, int points)
    {
        if (series.Count <= points)
        {
            return series;
        }

        var size = (int)Math.Ceiling(series.Count / (double)points);
        return series.Chunk(size).Select(c => new ChartPoint(c[0].At, c.Average(p => p.Value))).ToList();
    }

    private async Task<string> CarryAsync(NodeCommand command, CancellationToken cancellationToken)
    {
        switch (command.Kind)
        {
            case NodeCommandRepository.StopWorker:
                var stopped = pool.StopWorker(command.Target, $"stopped from the admin console by {command.RequestedBy}");
                return stopped ? "stopped" : "no such worker on this node";
            case NodeCommandRepository.StopContent when long.TryParse(command.Target, out var contentId):
                _ = pool.StopContentAsync(contentId, $"its content was deleted by {command.RequestedBy}");
                return "stopping";
            case NodeCommandRepository.DeployBundle when DeployTarget.Parse(command.Target) is { } target:
                return await contents.GetAsync(target.ContentId, cancellationToken) is { } content
                    && await bundles.GetAsync(target.BundleId, cancellationToken) is { } bundle && bundle.ContentId == content.Id
                    ? $"task {await deployer.StartAsync(content, bundle, target.UserId)}"
                    : "no such item or bundle";
            default:
                return $"unknown command '{command.Kind}'";
        }
    }

    [LoggerMessage(EventId = 810, Level = LogLevel.Warning, Message = "Could not publish this node's status for the console: {Reason}")]
    private partial void LogPublishFailed(string reason, Exception exception);

    [LoggerMessage(EventId = 811, Level = LogLevel.Error, Message = "Measuring this node failed")]
    private partial void LogTickFailed(Exception e);
}
