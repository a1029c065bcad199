using Connect.Runtime.Authentication;
using Connect.Shared.Cluster;
using Connect.Shared.Files;
using Connect.Shared.Tasks;
using Connect.Shared.Packages;
using Connect.Shared.Access;
using Connect.Runtime.Packages;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary>The body of <c>DELETE /v1/system/caches/runtime</c>, as the product's clients send it.</summary>
internal sealed record DeleteRuntimeCacheRequest(string? Language, string? Version, string? ImageName, bool DryRun);

/// <summary>
/// The product's runtime caches API (administrators only): <c>GET /__api__/v1/system/caches/runtime</c> lists the
/// package cache per R version; <c>DELETE</c> with <c>language</c>, <c>version</c>, <c>image_name</c> and
/// <c>dry_run</c> removes one as a task. Content whose packages were removed gets them built again when it next starts.
/// </summary>
internal static partial class RuntimeCachesApi
{
    /// <summary>The one execution environment here: the node's own R (the product's name for it).</summary>
    private const string LocalImage = "Local";

    public static void MapRuntimeCachesApi(this IEndpointRouteBuilder app)
    {
        var caches = app.MapGroup("/__api__/v1/system/caches/runtime").RequireAuthorization(AuthenticationSetup.Administrators);

        caches.MapGet("", (PackageCache cache) => Results.Json(new
        {
            caches = cache.Runtimes().Select(r => new { language = "R", version = r.Version, image_name = LocalImage }),
        }));

        caches.MapDelete("", async ([Microsoft.AspNetCore.Mvc.FromBody] DeleteRuntimeCacheRequest? body, PackageCache cache, TaskRepository tasks, NodeIdentity node,
            System.Security.Claims.ClaimsPrincipal principal, ILoggerFactory loggers) =>
        {
            if (body is null || body.Language is null || body.Version is null)
            {
                return ApiErrors.BadRequest("send {\"language\": \"R\", \"version\": \"4.2.2\", \"image_name\": \"Local\", \"dry_run\": true|false}");
            }

            if (!body.Language.Equals("R", StringComparison.OrdinalIgnoreCase) || (body.ImageName ?? LocalImage) != LocalImage)
            {
                return ApiErrors.NotFound($"there is no runtime cache for {body.Language} {body.Version} in image '{body.ImageName}': this server caches R packages only, for image '{LocalImage}'");
            }

            var runtime = cache.Runtimes().FirstOrDefault(r => r.Version == body.Version);
            if (runtime.Folder is null)
            {
                return ApiErrors.NotFound($"there is no runtime cache for R {body.Version}; GET this URL lists the ones there are");
            }

            var answer = new { language = "R", version = body.Version, image_name = LocalImage, task_id = (string?)null };
            if (body.DryRun)
            {
                return Results.Json(answer);
            }

            var taskId = await tasks.CreateAsync("delete-runtime-cache", node.Name, null, Caller.From(principal).Id);
            var logger = loggers.CreateLogger(typeof(RuntimeCachesApi));
            _ = Task.Run(async () =>
            {
                try
                {
                    var size = PackageCache.SizeOf(runtime.Folder);
                    // Renamed first, so no deploy picks an entry from a cache half deleted.
                    var doomed = Path.Combine(cache.CacheRoot, $".deleting-{Guid.NewGuid():N}");
                    Directory.Move(runtime.Folder, doomed);
                    NoFollowTree.Delete(doomed);
                    LogDeleted(logger, body.Version, size);
                    await tasks.AppendAsync(taskId, [$"Removed the package cache of R {body.Version} ({new Shared.Configuration.ByteSize(size)}); content using it gets its packages built again when it next starts"]);
                    await tasks.FinishAsync(taskId, 0, null);
                }
                catch (Exception e)
                {
                    await tasks.FinishAsync(taskId, 1, $"the package cache of R {body.Version} could not be removed: {e.Message}");
                }
            });
            return Results.Json(answer with { task_id = taskId });
        });
    }

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Removed the package cache of R {Version} ({Bytes} bytes)")]
    private static partial void LogDeleted(ILogger logger, string version, long bytes);
}
