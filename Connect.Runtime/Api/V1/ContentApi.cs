using Connect.Runtime.Content;
using System.Security.Claims;
using Connect.Runtime.Authentication;
using Connect.Runtime.Operations;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Tasks;
using Connect.Shared.Access;
using Connect.Runtime.Publishing;
using Connect.Runtime.Api.Json;
using Connect.Runtime.Api;

namespace Connect.Runtime.Api.V1;

/// <summary>The v1 server API for content, bundles, deploys and tasks: the same model as the legacy API.</summary>
internal static class ContentApi
{
    public static void MapContentApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1").RequireAuthorization();

        // The reference's filters: name (exact), owner_guid; include=owner,tags,vanity_url adds those to each item.
        v1.MapGet("/content", async (string? name, string? owner_guid, string? include, HttpContext context, ClaimsPrincipal principal, ContentRepository contents,
            TagRepository tags, VanityRepository vanities, ConnectOptions options, CancellationToken ct) =>
        {
            var included = (include ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (included.FirstOrDefault(i => i is not ("owner" or "tags" or "vanity_url")) is { } unknown)
            {
                return ApiErrors.BadRequest($"include may name owner, tags and vanity_url, not '{unknown}'");
            }

            var caller = Caller.From(principal);
            var items = (await contents.ListVisibleAsync(caller.IsAdministrator ? null : caller.Id, ct))
                .Where(c => (name is null || c.Name == name) && (owner_guid is null || c.OwnerGuid == owner_guid));
            var roles = await contents.RolesOfAsync(caller.Id, ct);
            var tagged = included.Contains("tags") ? await tags.OfContentAsync(ct) : null;
            var vanityOf = included.Contains("vanity_url") ? (await vanities.ListAsync(ct)).ToDictionary(v => v.ContentId, v => v.Path) : null;
            var baseUrl = ContentUrls.BaseUrl(context, options);
            return Results.Json(items.Select(c => ContentJson.From(c, baseUrl, ContentRules.AppRole(caller, c, roles.GetValueOrDefault(c.Id)),
                included.Contains("owner"), tagged is null ? null : tagged.GetValueOrDefault(c.Id) ?? [], options.Server.DashboardAddress) with
            {
                VanityUrl = vanityOf?.GetValueOrDefault(c.Id) is { } path ? baseUrl + path : null,
            }));
        });

        v1.MapPost("/content", async (CreateContentRequest? body, HttpContext context, ClaimsPrincipal principal, ContentRepository contents, ConnectOptions options, CancellationToken ct) =>
        {
            var caller = Caller.From(principal);
            if (!caller.CanPublish)
            {
                return ApiErrors.CannotPublish(caller);
            }

            // Without a name the item gets one, as the product does (its SDKs create content by title alone).
            var name = body?.Name is { Length: > 0 } given ? given : $"untitled-{Guid.NewGuid():N}"[..17];
            var created = await contents.CreateAsync(caller.Id, name, body?.Title, body?.Description, ct);
            return created.Content is null
                ? ApiErrors.NotCreated(created)
                : Results.Json(ContentJson.From(created.Content, ContentUrls.BaseUrl(context, options), "owner", dashboardAddress: options.Server.DashboardAddress), statusCode: StatusCodes.Status201Created);
        });

        v1.MapGet("/content/{guid}", async (RoutedContent routed, HttpContext context, ContentRepository contents, ConnectOptions options, CancellationToken ct) =>
        {
            var caller = routed.Caller;
            var content = routed.Item;
            return Results.Json(ContentJson.From(content, ContentUrls.BaseUrl(context, options),
                await ContentAccess.AppRoleAsync(contents, caller, content, ct), dashboardAddress: options.Server.DashboardAddress));
        }).RequireContent(ContentRight.View);

        v1.MapPatch("/content/{guid}", async (RoutedContent routed, PatchContentRequest? body, HttpContext context, ContentRepository contents, Content.ContentLookup lookup, ConnectOptions options, CancellationToken ct) =>
        {
            var caller = routed.Caller;
            var content = routed.Item;

            if (body is null)
            {
                return ApiErrors.BadRequest("send a JSON object with the fields to change");
            }

            if (ContentPatch.Problems(body) is { Count: > 0 } problems)
            {
                return ApiErrors.BadRequest(string.Join("; ", problems));
            }

            var o = content.Overrides;
            var overrides = new ProcessOverrides(
                body.MinProcesses ?? o.MinProcesses,
                body.MaxProcesses ?? o.MaxProcesses,
                body.MaxConnsPerProcess ?? o.MaxConnsPerProcess,
                body.LoadFactor ?? o.LoadFactor,
                body.IdleTimeout is { } idle ? TimeSpan.FromSeconds(idle) : o.IdleTimeout,
                body.InitTimeout is { } init ? TimeSpan.FromSeconds(init) : o.InitTimeout,
                body.MemoryLimit is { } memory ? (memory == 0 ? null : memory) : o.MemoryLimit);
            if (overrides.Problems(options.Scheduler) is { } problem)
            {
                return ApiErrors.BadRequest(problem);
            }

            if (body.RunAs is { } runAs && runAs != (content.RunAs ?? ""))
            {
                if (!caller.IsAdministrator)
                {
                    return ApiErrors.Forbidden("only an administrator may set run_as: it decides which system user the item's code runs as", ApiErrorCode.ChangeDenied);
                }

                if (runAs.Length > 0 && Sandbox.RunAsAccount.Find(runAs) is { Account: null, Problem: { } runAsProblem })
                {
                    return ApiErrors.BadRequest($"run_as: {runAsProblem}");
                }

                await contents.SetRunAsAsync(content.Id, runAs.Length == 0 ? null : runAs, ct);
                lookup.Forget(content.Guid);
            }

            if (body.AccessType is { } accessType && accessType != content.AccessType)
            {
                await contents.SetAccessTypeAsync(content.Id, accessType, ct);
                lookup.Forget(content.Guid);
            }

            if (overrides != o)
            {
                await contents.SetOverridesAsync(content.Id, overrides, ct);
                lookup.Forget(content.Guid);
            }

            await contents.UpdateAsync(content.Id, body.Title, body.Description, ct);
            return Results.Json(ContentJson.From((await contents.GetAsync(content.Id, ct))!, ContentUrls.BaseUrl(context, options),
                await ContentAccess.AppRoleAsync(contents, caller, content, ct), dashboardAddress: options.Server.DashboardAddress));
        }).RequireContent(ContentRight.Change);

        v1.MapDelete("/content/{guid}", async (RoutedContent routed, ContentRemoval removal, CancellationToken ct) =>
        {
            var caller = routed.Caller;
            var content = routed.Item;

            await removal.RemoveAsync(content, caller.Username, ct);
            return Results.NoContent();
        }).RequireContent(ContentRight.Change).WaitsForMaintenance();

        v1.MapPost("/content/{guid}/bundles", async (RoutedContent routed, HttpContext context, BundleStore store, CancellationToken ct) =>
        {
            var caller = routed.Caller;
            var content = routed.Item;

            var (bundle, uploadError) = await BundleRequests.UploadAsync(context, caller, content, store, ct);
            return uploadError ?? Results.Json(BundleJson.From(bundle!, content), statusCode: StatusCodes.Status201Created);
        }).RequireContent(ContentRight.Change).WaitsForMaintenance();

        v1.MapGet("/content/{guid}/bundles", async (RoutedContent routed, BundleRepository bundles, CancellationToken ct) =>
        {
            var content = routed.Item;
            return Results.Json((await bundles.ListAsync(content.Id, ct)).Select(b => BundleJson.From(b, content)));
        }).RequireContent(ContentRight.Change);

        v1.MapGet("/content/{guid}/bundles/{id:long}", async (RoutedContent routed, long id, BundleRepository bundles, CancellationToken ct) =>
        {
            var content = routed.Item;
            return (await bundles.GetAsync(id, ct) is { } bundle && bundle.ContentId == content.Id
                ? Results.Json(BundleJson.From(bundle, content))
                : ApiErrors.NotFound($"bundle {id} does not exist for this content"));
        }).RequireContent(ContentRight.Change);

        // An old bundle goes with its files; the live one, one a worker still runs, or one a deploy may be using stays.
        v1.MapDelete("/content/{guid}/bundles/{id:long}", async (RoutedContent routed, long id, BundleRepository bundles, BundleStore store, TaskRepository tasks, JobSources jobs, TimeProvider clock, CancellationToken ct) =>
        {
            var content = routed.Item;

            if (await bundles.GetAsync(id, ct) is not { } bundle || bundle.ContentId != content.Id)
            {
                return ApiErrors.NotFound($"bundle {id} does not exist for this content");
            }

            if (content.ActiveBundleId == id)
            {
                return ApiErrors.BadRequest($"bundle {id} is the live one; deploy another before deleting it", ApiErrorCode.ActiveBundle);
            }

            var recent = clock.GetUtcNow() - TimeSpan.FromHours(1);
            if ((await jobs.ListAsync(content, ct)).Any(j => j.Status == JobJson.Active && j.BundleId == id.ToString())
                || (await tasks.ListForContentAsync(content.Id, 20, ct)).Any(t => !t.Finished && t.CreatedAt > recent))
            {
                return ApiErrors.BadRequest($"bundle {id} may be in use (a worker runs it, or a deploy of this content is under way); try again later",
                    ApiErrorCode.InUse);
            }

            await bundles.DeleteAsync(id, ct);
            store.DeleteBundleFiles(bundle);
            return Results.NoContent();
        }).RequireContent(ContentRight.Change).WaitsForMaintenance();

        v1.MapGet("/content/{guid}/bundles/{id:long}/download", async (RoutedContent routed, long id, BundleRepository bundles, BundleStore store, CancellationToken ct) =>
        {
            var content = routed.Item;

            var bundle = await bundles.GetAsync(id, ct);
            return bundle is null || bundle.ContentId != content.Id
                ? ApiErrors.NotFound($"bundle {id} does not exist for this content")
                : Results.File(store.ArchivePath(bundle), "application/gzip", $"bundle-{bundle.Id}.tar.gz");
        }).RequireContent(ContentRight.Change);

        // build is deploy again: its R packages restored (the cache refilled if it was cleared), rendered, made live.
        v1.MapPost("/content/{guid}/build", DeployAsync).RequireContent(ContentRight.Change);
        v1.MapPost("/content/{guid}/deploy", DeployAsync).RequireContent(ContentRight.Change);
        static async Task<IResult> DeployAsync(RoutedContent routed, DeployContentRequest? body, BundleRepository bundles, Deployer deployer, CancellationToken ct)
        {
            var caller = routed.Caller;
            var content = routed.Item;

            long? bundleId = null;
            if (body?.BundleId is { Length: > 0 } text)
            {
                if (!long.TryParse(text, out var parsed))
                {
                    return ApiErrors.BadRequest($"bundle_id '{text}' is not a bundle id", ApiErrorCode.InvalidId);
                }

                bundleId = parsed;
            }

            var (bundle, bundleError) = await BundleRequests.FindBundleAsync(bundles, content, bundleId, ct);
            return bundleError ?? Results.Json(new { task_id = await deployer.StartAsync(content, bundle!, caller.Id) }, statusCode: StatusCodes.Status202Accepted);
        }

        v1.MapPost("/content/{guid}/render", async (RoutedContent routed, BundleRepository bundles, Deployer deployer, CancellationToken ct) =>
        {
            var caller = routed.Caller;
            var content = routed.Item;

            if (content.AppMode != AppModes.RmdStatic || content.ActiveBundleId is not { } bundleId || await bundles.GetAsync(bundleId, ct) is not { } bundle)
            {
                return ApiErrors.BadRequest("only a deployed R Markdown document (rmd-static) can be rendered", ApiErrorCode.UnsupportedAction);
            }

            return Results.Json(new { task_id = await deployer.StartRenderAsync(content, bundle, caller.Id) }, statusCode: StatusCodes.Status202Accepted);
        }).RequireContent(ContentRight.Change);

        v1.MapGet("/content/{guid}/environment", async (RoutedContent routed, ContentEnvironment environment, CancellationToken ct) =>
        {
            // Names only: values are secrets, readable by the content's own R processes alone.
            var content = routed.Item;
            return Results.Json(await environment.NamesAsync(content.Id, ct));
        }).RequireContent(ContentRight.Change);

        // PATCH changes the variables given (a null value removes one); PUT replaces them all.
        foreach (var (method, replace) in new[] { (HttpMethods.Patch, false), (HttpMethods.Put, true) })
        {
            v1.MapMethods("/content/{guid}/environment", [method], async (RoutedContent routed, HttpContext context, ContentEnvironment environment,
                Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct) =>
            {
                var content = routed.Item;

                // Read as JSON whatever the Content-Type says: clients send these bodies without one.
                EnvironmentVariable[]? body;
                try
                {
                    body = await System.Text.Json.JsonSerializer.DeserializeAsync<EnvironmentVariable[]>(context.Request.Body, json.Value.SerializerOptions, ct);
                }
                catch (System.Text.Json.JsonException)
                {
                    body = null;
                }

                if (body is null || body.Any(v => v is null))
                {
                    return ApiErrors.BadRequest("send [{\"name\": ..., \"value\": ...}, ...]");
                }

                var changes = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var variable in body)
                {
                    changes[variable.Name ?? ""] = variable.Value;
                }

                var result = await environment.ChangeAsync(content.Id, changes, replace, ct);
                return result.Applied ? Results.Json(await environment.NamesAsync(content.Id, ct)) : ApiErrors.BadRequest(result.Error!);
            }).RequireContent(ContentRight.Change);
        }

        v1.MapGet("/tasks/{id}", async (string id, int? first, double? wait, ClaimsPrincipal principal, TaskRepository tasks, Connect.Shared.Data.DatabaseHealth health,
            TimeProvider clock, CancellationToken ct) =>
        {
            var waitFor = wait is > 0 && double.IsFinite(wait.Value) ? TimeSpan.FromSeconds(Math.Min(wait.Value, TaskAccess.MaxWait.TotalSeconds)) : TimeSpan.Zero;
            var (task, error) = await TaskAccess.GetAsync(tasks, health, Caller.From(principal), id, first ?? 0, waitFor, clock, ct);
            return error ?? Results.Json(TaskJson.From(task!));
        });

        // Anything else under /__api__ answers in JSON too, never with an empty 404.
        app.MapFallback("/__api__/{**path}", (HttpContext context) =>
            ApiErrors.NotFound($"{context.Request.Method} {context.Request.Path} is not an API endpoint of this server", ApiErrorCode.EndpointNotSupported));
    }
}
