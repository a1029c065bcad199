using System.Security.Claims;
using Connect.Runtime.Authentication;
using Connect.Runtime.Content;
using Connect.Shared.Content;
using Connect.Shared.Access;
using Connect.Runtime.Publishing;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary><c>force</c>: take the path over from another item that has exactly it.</summary>
internal sealed record VanityRequest(string? Path, bool? Force = null);

/// <summary>
/// Vanity paths (<c>/__api__/v1/vanities</c>, <c>/__api__/v1/content/{guid}/vanity</c>). Anyone who may view an item
/// may read its path; only administrators set or remove one, since a path is a name in everyone's space.
/// </summary>
internal static class VanityApi
{
    public static void MapVanityApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1").RequireAuthorization();

        v1.MapGet("/vanities", async (ClaimsPrincipal principal, ContentRepository contents, VanityRepository vanities, CancellationToken ct) =>
        {
            var caller = Caller.From(principal);
            var visible = caller.IsAdministrator ? null : (await contents.ListVisibleAsync(caller.Id, ct)).Select(c => c.Id).ToHashSet();
            return Results.Json((await vanities.ListAsync(ct)).Where(v => visible is null || visible.Contains(v.ContentId)).Select(Json));
        });

        v1.MapGet("/content/{guid}/vanity", async (RoutedContent routed, string guid, VanityRepository vanities, CancellationToken ct) =>
        {
            var content = routed.Item;
            return (await vanities.GetAsync(content.Id, ct) is { } vanity
                ? Results.Json(Json(vanity))
                : ApiErrors.NotFound($"content {guid} has no vanity path"));
        }).RequireContent(ContentRight.View);

        v1.MapPut("/content/{guid}/vanity", async (RoutedContent routed, VanityRequest? body, VanityRepository vanities, VanityMap map, CancellationToken ct) =>
        {
            var content = routed.Item;

            var result = await vanities.SetAsync(content.Id, body?.Path, body?.Force ?? false, ct);
            map.Forget();
            return result.Vanity is { } vanity ? Results.Json(Json(vanity))
                : result.Conflict is { } conflict ? ApiErrors.Conflict(conflict, ApiErrorCode.VanityConflict)
                : ApiErrors.BadRequest(result.Invalid!, ApiErrorCode.VanityNotPermitted);
        }).RequireContent(ContentRight.View).RequireAuthorization(AuthenticationSetup.Administrators);

        v1.MapDelete("/content/{guid}/vanity", async (RoutedContent routed, string guid, VanityRepository vanities, VanityMap map, CancellationToken ct) =>
        {
            var content = routed.Item;

            var deleted = await vanities.DeleteAsync(content.Id, ct);
            map.Forget();
            return deleted ? Results.NoContent() : ApiErrors.NotFound($"content {guid} has no vanity path");
        }).RequireContent(ContentRight.View).RequireAuthorization(AuthenticationSetup.Administrators);
    }

    private static object Json(Vanity v) => new { content_guid = v.ContentGuid, path = v.Path, created_time = v.CreatedAt };
}
