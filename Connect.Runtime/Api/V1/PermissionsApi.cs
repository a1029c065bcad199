using Connect.Runtime.Authentication;
using Connect.Shared.Content;
using Connect.Shared.Access;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary><c>/__api__/v1/content/{guid}/permissions</c>: who besides its owner may view or change an <c>acl</c> item.</summary>
internal static class PermissionsApi
{
    public static void MapPermissionsApi(this IEndpointRouteBuilder app)
    {
        var permissions = app.MapGroup("/__api__/v1/content/{guid}/permissions").RequireAuthorization();

        permissions.MapGet("", async (RoutedContent routed, ContentSharing sharing, CancellationToken ct) =>
            Results.Json((await sharing.ListAsync(routed.Item, ct)).Select(p => Json(p, routed.Item)))).RequireContent(ContentRight.Change);

        permissions.MapGet("/{id:long}", async (RoutedContent routed, long id, ContentSharing sharing, CancellationToken ct) =>
            await sharing.GetAsync(routed.Item, id, ct) is { } permission ? Results.Json(Json(permission, routed.Item)) : ApiErrors.NotFound($"permission {id} does not exist for this content"))
            .RequireContent(ContentRight.Change);

        permissions.MapPost("", async (RoutedContent routed, PermissionRequest? body, ContentSharing sharing, CancellationToken ct) =>
            Answer(await sharing.AddAsync(routed.Item, body?.PrincipalType, body?.PrincipalGuid, body?.Role, ct), routed.Item, StatusCodes.Status201Created))
            .RequireContent(ContentRight.Change);

        permissions.MapPut("/{id:long}", async (RoutedContent routed, long id, PermissionRequest? body, ContentSharing sharing, CancellationToken ct) =>
            Answer(await sharing.SetRoleAsync(routed.Item, id, body?.Role, ct), routed.Item, StatusCodes.Status200OK))
            .RequireContent(ContentRight.Change);

        permissions.MapDelete("/{id:long}", async (RoutedContent routed, long id, ContentSharing sharing, CancellationToken ct) =>
            await sharing.RemoveAsync(routed.Item, id, ct) ? Results.NoContent() : ApiErrors.NotFound($"permission {id} does not exist for this content"))
            .RequireContent(ContentRight.Change);
    }

    private static IResult Answer(SharingResult result, ContentItem content, int status) => result.Outcome switch
    {
        SharingOutcome.Done => Results.Json(Json(result.Permission!, content), statusCode: status),
        SharingOutcome.Conflict => ApiErrors.Conflict(result.Problem!),
        SharingOutcome.NotFound => ApiErrors.NotFound(result.Problem!),
        _ => ApiErrors.BadRequest(result.Problem!),
    };

    private static object Json(ContentPermission p, ContentItem content) => new
    {
        id = p.Id.ToString(), content_guid = content.Guid, principal_guid = p.PrincipalGuid, principal_type = p.PrincipalType, role = p.Role,
    };

    internal sealed record PermissionRequest(string? PrincipalGuid, string? PrincipalType, string? Role);
}
