using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Data;

namespace Connect.Runtime.Cluster;

internal static class ClusterServices
{
    /// <summary>
    /// The database and this node's place in the cluster: its identity, its heartbeat in the nodes table, the
    /// schema migrator and the watch that stops the node when another binary moves the schema past it.
    /// </summary>
    public static IServiceCollection AddNodeCluster(this IServiceCollection services, ConnectOptions options, NodeIdentity identity)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => ConnectDatabase.Create(options));
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton<SchemaState>();
        services.AddSingleton<DatabaseHealth>();
        services.AddSingleton<NodeRegistry>();
        services.AddSingleton(identity);
        services.AddSingleton<NodeHeartbeat>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeHeartbeat>());
        services.AddSingleton<NodeState>();
        services.AddHostedService<SchemaWatch>();
        return services;
    }
}
