using Connect.Shared.Cluster;

namespace Connect.Admin.Services;

/// <summary>What the console shows about the cluster, read fresh on each call.</summary>
public sealed record ClusterSnapshot(
    string Database,
    int DatabaseSchemaVersion,
    int ConsoleSchemaVersion,
    IReadOnlyList<NodeInfo> Nodes,
    string? Error = null);

public interface IClusterSource
{
    Task<ClusterSnapshot> GetAsync(CancellationToken cancellationToken);
}
