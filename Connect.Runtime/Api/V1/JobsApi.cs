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
using Connect.Runtime.Scheduling;
using Connect.Runtime.Api.Json;
using Connect.Runtime.Api;

namespace Connect.Runtime.Api.V1;

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
