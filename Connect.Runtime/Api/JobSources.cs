using Connect.Runtime.Api.Json;
using Connect.Runtime.Api.V1;
using Connect.Runtime.Processes;
using Connect.Shared.Cluster;
using Connect.Shared.Content;
using Connect.Shared.Metrics;
using Connect.Shared.Scheduling;

namespace Connect.Runtime.Api;

/// <summary>Where an item's jobs come from: this node's pool, the other running nodes' published workers, and the render rows.</summary>
internal sealed class JobSources(WorkerPool pool, NodeIdentity node, NodeRegistry registry, NodeStatusRepository status, JobRepository jobs, TimeProvider clock)
{
    public async Task<IReadOnlyList<JobJson>> ListAsync(ContentItem content, CancellationToken cancellationToken)
    {
        var tag = content.AppMode switch
        {
            AppModes.Api => "run_api",
            AppModes.RmdShiny => "render_shiny",
            _ => "run_app",
        };
        var list = pool.Workers.Where(w => w.ContentId == content.Id && w.IsAlive)
            .Select(w => Worker(content, tag, node.Name, w.Id, w.Pid, w.BundleId, w.StartedAt, clock.GetUtcNow())).ToList();

        var running = (await registry.ListAsync(cancellationToken)).Where(n => n.Status == NodeStatus.Running && n.Name != node.Name).Select(n => n.Name).ToHashSet();
        foreach (var row in (await status.ListAsync(withHistory: false, cancellationToken)).Where(r => running.Contains(r.Node)))
        {
            list.AddRange(row.Live.Workers.Where(w => w.ContentGuid == content.Guid && w.State.ToLowerInvariant() is "starting" or "ready")
                .Select(w => Worker(content, tag, row.Node, w.Id, w.Pid, w.BundleId, w.StartedAt, row.LiveAt)));
        }

        list.AddRange((await jobs.ListAsync(content.Id, cancellationToken)).Select(j => new JobJson(
            j.Id.ToString(), JobsApi.RenderKey(j.Id), null, content.Id.ToString(), content.Guid, null, j.StartedAt, j.FinishedAt, null,
            "build_report", j.ExitCode, j.FinishedAt is null ? JobJson.Active : JobJson.Finished, j.Node,
            j.Status, j.Kind, j.ScheduleId, j.Node, j.ClaimToken, j.DueAt, j.Error)));
        return list;
    }

    public async Task<JobJson?> FindAsync(ContentItem content, string key, CancellationToken cancellationToken) =>
        (await ListAsync(content, cancellationToken)).FirstOrDefault(j => j.Key == key);

    private static JobJson Worker(ContentItem content, string tag, string node, string id, int? pid, long bundleId, DateTimeOffset started, DateTimeOffset heartbeat) =>
        new(id, id, pid?.ToString(), content.Id.ToString(), content.Guid, bundleId.ToString(), started, null, heartbeat, tag, null, JobJson.Active, node,
            "running", null, null, node, null, null, null);
}
