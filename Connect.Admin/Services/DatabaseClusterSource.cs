using Connect.Shared.Cluster;
using Connect.Shared.Data;

namespace Connect.Admin.Services;

/// <summary>Reads the cluster from the shared database. A database that cannot be reached is
/// reported in the snapshot, not thrown, so the console keeps showing why.</summary>
internal sealed class DatabaseClusterSource(ConnectDatabase database, NodeRegistry registry, SchemaState schema) : IClusterSource
{
    public async Task<ClusterSnapshot> GetAsync(CancellationToken cancellationToken)
    {
        try
        {
            var version = await schema.ReadDatabaseVersionAsync(cancellationToken);
            var nodes = version == 0 ? [] : await registry.ListAsync(cancellationToken);
            return new ClusterSnapshot(database.Description, version, SchemaState.BinaryVersion, nodes);
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            return new ClusterSnapshot(database.Description, 0, SchemaState.BinaryVersion, [], e.Message);
        }
    }
}
