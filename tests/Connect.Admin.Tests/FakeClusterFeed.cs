using Connect.Admin.Services;
using Connect.Shared.Cluster;
using Connect.Shared.Metrics;

namespace Connect.Admin.Tests;

/// <summary>The monitor's part as pages see it, published by hand.</summary>
public sealed class FakeClusterFeed : IClusterFeed
{
    public ClusterSnapshot? Current { get; private set; }

    public event Action<ClusterSnapshot>? Changed;

    public void Publish(ClusterSnapshot snapshot)
    {
        Current = snapshot;
        Changed?.Invoke(snapshot);
    }

    public static NodeInfo Node(string name, NodeStatus status = NodeStatus.Running, double offsetMs = 0, string version = "0.1.0", int schema = 4) =>
        new(name, $"http://{name}:3939", version, schema, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
            TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(offsetMs), status);

    public static NodeSettings Settings(string metricsPath, string provider = "postgres", int scheduleConcurrency = 2, bool enforce = true) =>
        new(metricsPath, provider, scheduleConcurrency, enforce, false, false, false);

    public static NodeStatusRow Status(string node, NodeSettings settings, IReadOnlyList<WorkerLive>? workers = null, NodeHistory? history = null) =>
        new(node, "instance", settings,
            new NodeLive(DateTimeOffset.UnixEpoch + TimeSpan.FromHours(1), 12, 1L << 30, 4L << 30, 3, 200L << 20, 0, 0, workers ?? []),
            DateTimeOffset.UnixEpoch, history);
}
