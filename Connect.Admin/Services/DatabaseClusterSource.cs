using Connect.Shared.Cluster;
using Connect.Shared.Data;
using Connect.Shared.Metrics;
using Connect.Shared.Operations;
using Connect.Shared.Scheduling;

namespace Connect.Admin.Services;

/// <summary>Reads the cluster from the shared database. A database that cannot be reached is
/// reported in the snapshot, not thrown, so the console keeps showing why.</summary>
internal sealed class DatabaseClusterSource(ConnectDatabase database, NodeRegistry registry, SchemaState schema, NodeStatusRepository status, JobRepository jobs) : IClusterSource
{
    private const int FailedJobsShown = 50;

    public async Task<ClusterSnapshot> GetAsync(bool withHistory, CancellationToken cancellationToken)
    {
        try
        {
            var version = await schema.ReadDatabaseVersionAsync(cancellationToken);
            if (version == 0)
            {
                return new ClusterSnapshot(database.Description, version, SchemaState.BinaryVersion, []);
            }

            var nodes = await registry.ListAsync(cancellationToken);
            // A database of an older schema has no node status yet; the nodes table is still worth showing.
            var hasStatus = version >= 4;
            return new ClusterSnapshot(database.Description, version, SchemaState.BinaryVersion, nodes)
            {
                Status = hasStatus ? await status.ListAsync(withHistory, cancellationToken) : [],
                Renders = hasStatus ? await status.RunningRendersAsync(cancellationToken) : [],
                Jobs = await jobs.ListOpenAndFailedAsync(FailedJobsShown, cancellationToken),
                Pause = version >= 5 ? await new MaintenancePause(database).ActiveAsync(cancellationToken) : null,
            };
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            return new ClusterSnapshot(database.Description, 0, SchemaState.BinaryVersion, [], e.Message);
        }
    }
}
