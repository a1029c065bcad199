using Connect.Shared.Cluster;
using Connect.Shared.Configuration;

namespace Connect.Admin.Services;

/// <summary>
/// The high-availability checklist, checked against what the nodes report: the problems an administrator of a
/// cluster should hear about before they bite. Stopped nodes do not count.
/// </summary>
public static class ClusterChecklist
{
    public static IReadOnlyList<string> Warnings(ClusterSnapshot cluster, ConnectOptions options)
    {
        var running = cluster.Nodes.Where(n => n.Status != NodeStatus.Stopped).ToList();
        var settings = running.Select(n => (Node: n, Settings: cluster.StatusOf(n.Name)?.Settings)).Where(p => p.Settings is not null).ToList();
        var isCluster = running.Count > 1;
        var warnings = new List<string>();

        if (running.Select(n => n.Version).Distinct().Count() > 1)
        {
            warnings.Add("Nodes run different versions (" + string.Join(", ", running.Select(n => $"{n.Name} {n.Version}")) + "): upgrade every node to the same version.");
        }

        if (isCluster && (cluster.Database.StartsWith("SQLite", StringComparison.Ordinal) || settings.Any(p => p.Settings!.DatabaseProvider == "sqlite")))
        {
            warnings.Add("Several nodes on SQLite: a cluster needs PostgreSQL (Database.Provider = postgres).");
        }

        foreach (var shared in settings.GroupBy(p => p.Settings!.MetricsPath).Where(g => g.Count() > 1))
        {
            warnings.Add($"Nodes {string.Join(" and ", shared.Select(p => p.Node.Name))} share Metrics.DataPath {shared.Key}: give every node its own.");
        }

        foreach (var node in running.Where(n => n.IsClockSkewed(options.Node.MaxClockSkew)))
        {
            warnings.Add($"Node {node.Name}'s clock is {node.ClockOffset.TotalMilliseconds:+0;-0} ms off the database's (more than Node.MaxClockSkew): keep every clock synchronised (NTP).");
        }

        if (settings.Count > 0 && settings.All(p => p.Settings!.ScheduleConcurrency == 0))
        {
            warnings.Add("Every node has Applications.ScheduleConcurrency = 0: no node runs scheduled renders.");
        }

        if (isCluster && settings.Any(p => !p.Settings!.EnforceMinRsconnectVersion))
        {
            warnings.Add("LoadBalancing.EnforceMinRsconnectVersion is off on " + string.Join(", ", settings.Where(p => !p.Settings!.EnforceMinRsconnectVersion).Select(p => p.Node.Name))
                + ": rsconnect before 0.8.3 does not keep its session on one node.");
        }

        foreach (var node in running.Where(n => n.SchemaVersion != cluster.DatabaseSchemaVersion))
        {
            warnings.Add($"Node {node.Name} knows schema {node.SchemaVersion}, the database is at {cluster.DatabaseSchemaVersion}.");
        }

        return warnings;
    }
}
