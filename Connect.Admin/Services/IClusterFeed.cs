using Connect.Shared.Cluster;
using Connect.Shared.Metrics;

namespace Connect.Admin.Services;

/// <summary>The cluster as pages see it: the latest snapshot and a signal on each new one.</summary>
public interface IClusterFeed
{
    ClusterSnapshot? Current { get; }

    event Action<ClusterSnapshot>? Changed;
}

/// <summary>What the console may ask of a node.</summary>
public interface IWorkerControl
{
    /// <summary>Asks <paramref name="node"/> to stop one of its workers; the node does it within a second or two.</summary>
    Task StopAsync(string node, string workerId, string requestedBy, CancellationToken cancellationToken);
}

/// <summary>Requests go through the database: the node that owns the worker carries them out.</summary>
internal sealed class DatabaseWorkerControl(NodeCommandRepository commands) : IWorkerControl
{
    public Task StopAsync(string node, string workerId, string requestedBy, CancellationToken cancellationToken) =>
        commands.RequestAsync(node, NodeCommandRepository.StopWorker, workerId, requestedBy, cancellationToken);
}
