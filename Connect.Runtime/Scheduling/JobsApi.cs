using System.Security.Claims;
using Connect.Runtime.Authentication;
using Connect.Runtime.Processes;
using Connect.Runtime.Publishing;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Metrics;
using Connect.Shared.Scheduling;
using Connect.Shared.Access;

namespace Connect.Runtime.Scheduling;

/// <summary>
/// <c>/__api__/v1/content/{guid}/jobs</c>: an item's R processes as the reference's jobs. Running workers on every running
/// node (this node's from its pool, the others' from what they publish each second) and the item's renders, in the
/// reference's shape (<c>key</c>, <c>tag</c>, numeric <c>status</c>: 0 active, 1 finished) with our own fields beside it
/// (<c>state</c>, <c>node</c>, <c>claim_token</c>...). A worker's key is its id; a render's is <c>render-{id}</c>.
/// </summary>
internal static class JobsApi
{
    private const string RenderKeyPrefix = "render-";

    public static void MapJobsApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1/content/{guid}").RequireAuthorization();

        v1.MapGet("/jobs", async (RoutedContent routed, JobSources sources, CancellationToken ct) =>
        {
            var content = routed.Item;
            return Results.Json(await sources.ListAsync(content, ct));
        }).RequireContent(ContentRight.Change);

        v1.MapGet("/jobs/{key}", async (RoutedContent routed, string key, JobSources sources, CancellationToken ct) =>
        {
            var content = routed.Item;
            return (await sources.FindAsync(content, key, ct) is { } job
                ? Results.Json(job)
                : ApiErrors.NotFound($"job {key} does not exist for this content"));
        }).RequireContent(ContentRight.Change);

        // Stops a running worker wherever it runs: at once on this node, through the node's command queue on another.
        v1.MapDelete("/jobs/{key}", async (RoutedContent routed, string guid, string key, JobSources sources, WorkerPool pool, NodeIdentity node, NodeCommandRepository commands, CancellationToken ct) =>
        {
            var caller = routed.Caller;
            var content = routed.Item;

            var job = await sources.FindAsync(content, key, ct);
            if (job is null || job.Status != JobJson.Active)
            {
                return ApiErrors.NotFound($"no running job {key} for this content");
            }

            if (key.StartsWith(RenderKeyPrefix, StringComparison.Ordinal))
            {
                return ApiErrors.BadRequest($"job {key} is a render: a render cannot be stopped here; it ends on its own", ApiErrorCode.UnsupportedAction);
            }

            if (job.Hostname == node.Name)
            {
                pool.StopWorker(key, $"stopped through the API by {caller.Username}");
            }
            else
            {
                await commands.RequestAsync(job.Hostname!, NodeCommandRepository.StopWorker, key, caller.Username, ct);
            }

            return Results.Json(new { guid = content.Guid, key, app_id = content.Id.ToString(), app_guid = content.Guid, job_id = job.Id, result = "Order to kill job registered" });
        }).RequireContent(ContentRight.Change);

        v1.MapGet("/jobs/{id:long}/log", async (RoutedContent routed, long id, JobRepository jobs, ConnectOptions options, CancellationToken ct) =>
        {
            var content = routed.Item;

            var job = await jobs.GetAsync(id, ct);
            return job is null || job.ContentId != content.Id ? ApiErrors.NotFound($"job {id} does not exist for this content")
                : job.LogPath is null ? ApiErrors.NotFound($"job {id} has no log yet")
                : Results.File(Path.Combine(options.DataDir, job.LogPath), "text/plain; charset=utf-8");
        }).RequireContent(ContentRight.Change);
    }

    internal static string RenderKey(long id) => RenderKeyPrefix + id;
}

/// <summary>One job in the reference's shape, with our own fields for renders (null for workers).</summary>
internal sealed record JobJson(
    string Id, string Key, string? Pid, string AppId, string AppGuid, string? BundleId, DateTimeOffset? StartTime, DateTimeOffset? EndTime,
    DateTimeOffset? LastHeartbeatTime, string Tag, int? ExitCode, int Status, string? Hostname,
    string State, string? Kind, long? ScheduleId, string? Node, long? ClaimToken, DateTimeOffset? DueTime, string? Error)
{
    public const int Active = 0;
    public const int Finished = 1;

    public string? Ppid => Pid;

    public string? RemoteId => null;

    public string VariantId => "0";

    public double Timeout => 0;

    public string? QueueName => null;

    public DateTimeOffset? QueuedTime => DueTime;

    public string? Cluster => null;

    public string? Image => null;

    public string? RunAs => null;

    public string ContentId => AppId;

    public string ContentGuid => AppGuid;
}

/// <summary>Where an item's jobs come from: this node's pool, the other running nodes' published workers, and the render rows.</summary>
internal sealed class JobSources(WorkerPool pool, NodeIdentity node, NodeRegistry registry, NodeStatusRepository status, JobRepository jobs)
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
            .Select(w => Worker(content, tag, node.Name, w.Id, w.Pid, w.BundleId, w.StartedAt, DateTimeOffset.UtcNow)).ToList();

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
