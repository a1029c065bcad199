using System.Security.Claims;
using Connect.Runtime.Authentication;
using Connect.Runtime.Operations;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Tasks;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Connect.Shared.Access;
using Connect.Runtime.Publishing;
using Connect.Runtime.Api.Json;
using Connect.Runtime.Api;

namespace Connect.Runtime.Api.Legacy;

/// <summary>
/// The publishing API that rsconnect 0.8.x speaks (<c>/__api__/applications</c>, <c>/__api__/tasks</c>, ...).
/// It shares every rule and store with the v1 API; only the JSON shapes differ.
/// </summary>
internal static class LegacyPublishingApi
{
    public static void MapLegacyPublishingApi(this IEndpointRouteBuilder app)
    {
        // Open to anyone, but a key that is sent must be valid: clients check a key they were given by calling this.
        app.MapGet("/__api__/server_settings", async (HttpContext context, ConnectOptions options) =>
            ApiKeyAuthenticationHandler.KeyOf(context.Request) is not null && !(await context.AuthenticateAsync()).Succeeded
                ? ApiErrors.Unauthorized("the API key is not valid on this server (unknown, revoked, or its user is locked)")
                : Results.Json(new
                {
                    version = NodeVersion.ProductApi,
                    // This server's own version; `version` is the product API it implements, which clients gate on.
                    connect_version = NodeVersion.Current,
                    hostname = options.Node.Name,
                    authentication = new { name = "api-key", api_keys = true },
                    min_rsconnect_version = options.LoadBalancing.EnforceMinRsconnectVersion ? MinimumClientVersion.Minimum.ToString() : null,
                }));

        var api = app.MapGroup("/__api__").RequireAuthorization();

        api.MapGet("/users/current", async (ClaimsPrincipal principal, UserRepository users, CancellationToken ct) =>
            Results.Json(UserJson.From((await users.FindAsync(Caller.From(principal).Id, ct))!)));

        api.MapGet("/applications", async (HttpContext context, ClaimsPrincipal principal, ContentRepository contents, ConnectOptions options, CancellationToken ct) =>
        {
            var caller = Caller.From(principal);
            long? accountId = null;
            string? name = null;
            foreach (var filter in context.Request.Query["filter"])
            {
                var parts = (filter ?? "").Split(':', 2);
                switch (parts)
                {
                    case ["account_id", var value] when long.TryParse(value, out var id):
                        accountId = id;
                        break;
                    case ["name", var value]:
                        name = value;
                        break;
                    default:
                        return ApiErrors.BadRequest($"unsupported filter '{filter}' (supported: account_id:<id>, name:<name>)", ApiErrorCode.InvalidFilter);
                }
            }

            // Only administrators may list other people's content.
            var owner = caller.IsAdministrator ? accountId : accountId ?? caller.Id;
            if (owner is { } o && o != caller.Id && !caller.IsAdministrator)
            {
                return ApiErrors.Forbidden("you may only list your own applications");
            }

            var count = Math.Clamp(QueryInt(context, "count") ?? 100, 1, 1000);
            var offset = Math.Max(0, QueryInt(context, "offset") ?? 0);
            var (items, total) = await contents.ListAsync(owner, name, offset, count, ct);
            var baseUrl = ContentUrls.BaseUrl(context, options);
            return Results.Json(new { applications = items.Select(c => ApplicationJson.From(c, baseUrl)), count = items.Count, total });
        });

        api.MapPost("/applications", async (CreateApplicationRequest? body, HttpContext context, ClaimsPrincipal principal, ContentRepository contents, ConnectOptions options, CancellationToken ct) =>
        {
            var caller = Caller.From(principal);
            if (!caller.CanPublish)
            {
                return ApiErrors.CannotPublish(caller);
            }

            var created = await contents.CreateAsync(caller.Id, body?.Name ?? "", body?.Title, cancellationToken: ct);
            return created.Content is null
                ? ApiErrors.NotCreated(created)
                : Results.Json(ApplicationJson.From(created.Content, ContentUrls.BaseUrl(context, options)));
        });

        api.MapGet("/applications/{id:long}", async (RoutedContent routed, HttpContext context, ConnectOptions options, CancellationToken ct) =>
        {
            var content = routed.Item;
            return Results.Json(ApplicationJson.From(content, ContentUrls.BaseUrl(context, options)));
        }).RequireContent(ContentRight.Change);

        api.MapPost("/applications/{id:long}/upload", async (RoutedContent routed, HttpContext context, BundleStore store, CancellationToken ct) =>
        {
            var caller = routed.Caller;
            var content = routed.Item;

            var (bundle, uploadError) = await BundleRequests.UploadAsync(context, caller, content, store, ct);
            return uploadError ?? Results.Json(BundleJson.From(bundle!, content));
        }).RequireContent(ContentRight.Change).WaitsForMaintenance();

        api.MapPost("/applications/{id:long}/deploy", async (RoutedContent routed, DeployApplicationRequest? body, BundleRepository bundles, Deployer deployer, CancellationToken ct) =>
        {
            var caller = routed.Caller;
            var content = routed.Item;

            var (bundle, bundleError) = await BundleRequests.FindBundleAsync(bundles, content, body?.Bundle, ct);
            return bundleError ?? Results.Json(new { task_id = await deployer.StartAsync(content, bundle!, caller.Id) });
        }).RequireContent(ContentRight.Change);

        api.MapGet("/applications/{id:long}/config", async (RoutedContent routed, HttpContext context, ConnectOptions options, CancellationToken ct) =>
        {
            var content = routed.Item;
            return Results.Json(new { config_url = ContentUrls.Dashboard(options, ContentUrls.BaseUrl(context, options), content) });
        }).RequireContent(ContentRight.Change);

        api.MapPost("/applications/{id:long}/terminate", async (RoutedContent routed, Processes.WorkerPool pool, CancellationToken ct) =>
        {
            // Stops this node's workers of the content; the next request starts fresh ones.
            var content = routed.Item;
            return Results.Json(new { stopped = pool.StopContent(content.Id) });
        }).RequireContent(ContentRight.Change);

        api.MapGet("/tasks/{id}", async (string id, HttpContext context, ClaimsPrincipal principal, TaskRepository tasks, DatabaseHealth health, CancellationToken ct) =>
        {
            var (task, error) = await TaskAccess.GetAsync(tasks, health, Caller.From(principal), id, QueryInt(context, "first_status") ?? 0, ct);
            return error ?? Results.Json(LegacyTaskJson.From(task!));
        });
    }

    private static int? QueryInt(HttpContext context, string name) =>
        int.TryParse(context.Request.Query[name].ToString(), out var value) ? value : null;
}
