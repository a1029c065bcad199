using System.Diagnostics.Metrics;
using Connect.Shared.Metrics;

namespace Connect.Runtime.Metrics;

/// <summary>The host's, the node's and each worker's CPU and memory as of the last reading.</summary>
internal sealed record UsageReading(double HostCpuPercent, long HostMemoryUsedBytes, long HostMemoryTotalBytes, double NodeCpuPercent, long NodeMemoryBytes);

/// <summary>
/// What the gauges read, handed in by the parts that know (the worker pool, the proxy's WebSockets, the host readings),
/// so the instruments sit below every part that records into them.
/// </summary>
internal sealed record GaugeSources(
    Func<IEnumerable<(string ContentGuid, string AppMode)>> Workers,
    Func<int> OpenWebSockets,
    Func<UsageReading> Host,
    Func<IReadOnlyList<WorkerLive>> WorkerUsage);

/// <summary>
/// The node's instruments (<see cref="System.Diagnostics.Metrics"/>), read by OpenTelemetry's exporters (OTLP,
/// Prometheus) and by <see cref="NodeSampler"/> for the node's own store. Where the product we model has an
/// OpenTelemetry signal for the same thing, the name and dimensions are its (<c>process.count</c>,
/// <c>job.completion</c>, <c>job.duration</c>, <c>content.count</c>, <c>schedule.count</c>); the rest are under <c>connect.</c>.
/// </summary>
internal sealed class NodeMeters : IDisposable
{
    public const string MeterName = "Connect";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _workerStart;
    private readonly Counter<long> _capacityRefusals;
    private readonly Counter<long> _jobCompletion;
    private readonly Histogram<double> _jobDuration;

    // Running totals for the node's own sampler (OpenTelemetry keeps its own).
    private long _requestCount;
    private long _requestMicroseconds;
    private long _refusalCount;
    private CatalogCounts _counts = CatalogCounts.None;

    public NodeMeters()
    {
        _requests = _meter.CreateCounter<long>("connect.http.requests", description: "Requests for content answered");
        _requestDuration = _meter.CreateHistogram<double>("connect.http.request.duration", "ms", "Time to answer a request for content (WebSockets are not requests here)");
        _workerStart = _meter.CreateHistogram<double>("connect.worker.start.duration", "ms", "From starting an R worker to it listening");
        _capacityRefusals = _meter.CreateCounter<long>("connect.capacity.refusals", description: "Connections refused with 503: every worker of the content at its limit");
        _jobCompletion = _meter.CreateCounter<long>("job.completion", description: "Completed jobs by status");
        _jobDuration = _meter.CreateHistogram<double>("job.duration", "s", "Job execution duration");
    }

    /// <summary>Adds the gauges read from the node's parts (made once the parts exist; they record into the counters above).</summary>
    public void Observe(GaugeSources sources)
    {
        _meter.CreateObservableGauge("process.count", () => sources.Workers()
            .GroupBy(w => w)
            .Select(g => new Measurement<int>(g.Count(), new("content.guid", g.Key.ContentGuid), new("process.tag", g.Key.AppMode))),
            description: "Running R processes per content and kind");
        _meter.CreateObservableGauge("content.count", () => Volatile.Read(ref _counts).Content
            .Select(c => new Measurement<long>(c.Count, new("content.type", c.Type), new("access.type", c.Access))),
            description: "Content items in the cluster (every node reports the same figure)");
        _meter.CreateObservableGauge("schedule.count", () => Volatile.Read(ref _counts).Runs
            .Select(r => new Measurement<long>(r.Count, new KeyValuePair<string, object?>("schedule.status", r.Status))),
            description: "Scheduled runs by status (every node reports the same figure)");
        _meter.CreateObservableGauge("connect.websocket.open", () => sources.OpenWebSockets(), description: "Open WebSockets (Shiny sessions) through this node");
        _meter.CreateObservableGauge("connect.host.cpu.utilization", () => sources.Host().HostCpuPercent / 100, description: "Share of the host's CPU in use (0-1)");
        _meter.CreateObservableGauge("connect.host.memory.usage", () => sources.Host().HostMemoryUsedBytes, "By", "Host memory in use");
        _meter.CreateObservableGauge("connect.node.cpu.utilization", () => sources.Host().NodeCpuPercent / 100, description: "The node process's CPU, in cores (0-n)");
        _meter.CreateObservableGauge("connect.node.memory.rss", () => sources.Host().NodeMemoryBytes, "By", "The node process's resident memory");
        _meter.CreateObservableGauge("connect.worker.cpu.utilization", () => sources.WorkerUsage()
            .Select(w => new Measurement<double>(w.CpuPercent / 100, new("content.guid", w.ContentGuid), new("process.pid", w.Pid ?? 0))),
            description: "Each R worker's CPU, in cores, over its whole sandbox");
        _meter.CreateObservableGauge("connect.worker.memory.rss", () => sources.WorkerUsage()
            .Select(w => new Measurement<long>(w.MemoryBytes, new("content.guid", w.ContentGuid), new("process.pid", w.Pid ?? 0))),
            "By", "Each R worker's resident memory, over its whole sandbox");
    }

    /// <summary>The cluster's counts, read by the sampler every 15 s.</summary>
    public void Counted(CatalogCounts counts) => Volatile.Write(ref _counts, counts);

    public void RequestAnswered(string contentGuid, int status, TimeSpan elapsed)
    {
        _requests.Add(1, new("content.guid", contentGuid), new("http.response.status_code", status));
        _requestDuration.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("content.guid", contentGuid));
        Interlocked.Increment(ref _requestCount);
        Interlocked.Add(ref _requestMicroseconds, (long)(elapsed.TotalMicroseconds));
    }

    public void WorkerStarted(string contentGuid, TimeSpan elapsed) =>
        _workerStart.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("content.guid", contentGuid));

    public void CapacityRefused(string contentGuid)
    {
        _capacityRefusals.Add(1, new KeyValuePair<string, object?>("content.guid", contentGuid));
        Interlocked.Increment(ref _refusalCount);
    }

    public void JobCompleted(bool succeeded, int exitCode, TimeSpan duration)
    {
        var status = new KeyValuePair<string, object?>("job.status", succeeded ? "success" : "failure");
        var code = new KeyValuePair<string, object?>("job.exit_code", exitCode);
        _jobCompletion.Add(1, status, code);
        _jobDuration.Record(duration.TotalSeconds, status, code);
    }

    /// <summary>Requests, their summed duration (µs) and capacity refusals since the node started.</summary>
    public (long Requests, long Microseconds, long Refusals) Totals =>
        (Interlocked.Read(ref _requestCount), Interlocked.Read(ref _requestMicroseconds), Interlocked.Read(ref _refusalCount));

    public void Dispose() => _meter.Dispose();
}
