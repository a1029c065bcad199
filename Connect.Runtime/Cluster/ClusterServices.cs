using Connect.Runtime.Metrics;
using Connect.Runtime.Processes;
using Connect.Runtime.Proxy;
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
        services.AddConnectData(options);
        services.AddSingleton<SchemaMigrator>();
        services.AddSingleton(identity);
        services.AddSingleton<NodeHeartbeat>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeHeartbeat>());
        services.AddSingleton<NodeState>();
        services.AddHostedService<SchemaWatch>();
        return services;
    }

    /// <summary>The node's measuring loop (<see cref="NodeSampler"/>) and the readings it takes of the host and the workers.</summary>
    public static IServiceCollection AddNodeSampling(this IServiceCollection services)
    {
        services.AddSingleton<HostUsage>();
        services.AddHostedService<NodeSampler>();
        return services;
    }

    /// <summary>Points the node's gauges at what they read: the worker pool, the open WebSockets and the host readings.</summary>
    public static void ObserveNode(IServiceProvider services)
    {
        var pool = services.GetRequiredService<WorkerPool>();
        var webSockets = services.GetRequiredService<OpenWebSockets>();
        var host = services.GetRequiredService<HostUsage>();
        services.GetRequiredService<NodeMeters>().Observe(new GaugeSources(
            () => pool.Workers.Select(w => (w.ContentGuid, w.AppMode)), () => webSockets.Count, () => host.Current, () => host.Workers));
    }
}
