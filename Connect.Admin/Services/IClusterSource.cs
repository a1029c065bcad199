using Connect.Shared.Cluster;
using Connect.Shared.Metrics;
using Connect.Shared.Scheduling;

namespace Connect.Admin.Services;

/// <summary>What the console shows about the cluster, read fresh on each call.</summary>
public sealed record ClusterSnapshot(
    string Database,
    int DatabaseSchemaVersion,
    int ConsoleSchemaVersion,
    IReadOnlyList<NodeInfo> Nodes,
    string? Error = null)
{
    /// <summary>What each node last published: settings, live figures, workers, charts.</summary>
    public IReadOnlyList<NodeStatusRow> Status { get; init; } = [];

    /// <summary>The reports of the nodes running now: a stopped node's last report is not where anything runs.</summary>
    public IEnumerable<NodeStatusRow> RunningStatus
    {
        get
        {
            var running = Nodes.Where(n => n.Status == NodeStatus.Running).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
            return Status.Where(s => running.Contains(s.Node));
        }
    }

    /// <summary>Deploys and renders running anywhere in the cluster.</summary>
    public IReadOnlyList<RunningRender> Renders { get; init; } = [];

    /// <summary>Scheduled renders queued or running anywhere, and the latest that failed.</summary>
    public IReadOnlyList<JobListing> Jobs { get; init; } = [];

    /// <summary>The maintenance pause holding now (a backup), if any.</summary>
    public Connect.Shared.Operations.PauseHolder? Pause { get; init; }

    public NodeStatusRow? StatusOf(string node) => Status.FirstOrDefault(s => s.Node == node);
}

public interface IClusterSource
{
    /// <summary>The cluster now; <paramref name="withHistory"/> also reads each node's charts (larger).</summary>
    Task<ClusterSnapshot> GetAsync(bool withHistory, CancellationToken cancellationToken);
}
