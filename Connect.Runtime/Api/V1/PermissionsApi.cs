using System.Security.Claims;
using Connect.Runtime.Authentication;
using Connect.Shared.Content;
using Connect.Shared.Users;
using Connect.Shared.Access;
using Connect.Runtime.Publishing;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary><c>/__api__/v1/content/{guid}/permissions</c>: who besides its owner may view or change an <c>acl</c> item.</summary>
internal static class PermissionsApi
{
    public static void MapPermissionsApi(this IEndpointRouteBuilder app)
    {
        var permissions = app.MapGroup("/__api__/v1/content/{guid}/permissions").RequireAuthorization();

        permissions.MapGet("", async (RoutedContent routed, PermissionRepository repository, CancellationToken ct) =>
        {
            var content = routed.Item;
            return Results.Json((await repository.ListAsync(content.Id, ct)).Select(p => Json(p, content)));
        }).RequireContent(ContentRight.Change);

        permissions.MapPost("", async (RoutedContent routed, PermissionRequest? body, PermissionRepository repository, UserRepository users, GroupRepository groups, CancellationToken ct) =>
        {
            var content = routed.Item;

            var (principalId, problem) = await PrincipalAsync(body, users, groups, ct);
            if (problem is not null)
            {
                return ApiErrors.BadRequest(problem);
            }

            return await repository.AddAsync(content.Id, body!.PrincipalType!, principalId, body.Role!, ct) is { } added
                ? Results.Json(Json(added, content), statusCode: StatusCodes.Status201Created)
                : ApiErrors.Conflict($"that {body.PrincipalType} is on the permission list already; change its role with PUT");
        }).RequireContent(ContentRight.Change);

        permissions.MapPut("/{id:long}", async (RoutedContent routed, long id, PermissionRequest? body, PermissionRepository repository, UserRepository users, CancellationToken ct) =>
        {
            var content = routed.Item;

            if (await repository.GetAsync(content.Id, id, ct) is not { } existing)
            {
                return ApiErrors.NotFound($"permission {id} does not exist for this content");
            }

            if (body?.Role is not (ContentRoles.Viewer or ContentRoles.Owner))
            {
                return ApiErrors.BadRequest("role must be viewer or owner");
            }

            if (body.Role == ContentRoles.Owner && existing.PrincipalType == PrincipalTypes.User && await users.FindAsync(existing.PrincipalId, ct) is { CanPublish: false })
            {
                return ApiErrors.BadRequest("a viewer cannot be an owner (collaborator) of content; make them a publisher first");
            }

            await repository.SetRoleAsync(content.Id, id, body.Role, ct);
            return Results.Json(Json((await repository.GetAsync(content.Id, id, ct))!, content));
        }).RequireContent(ContentRight.Change);

        permissions.MapDelete("/{id:long}", async (RoutedContent routed, long id, PermissionRepository repository, CancellationToken ct) =>
        {
            var content = routed.Item;

            return await repository.DeleteAsync(content.Id, id, ct) ? Results.NoContent() : ApiErrors.NotFound($"permission {id} does not exist for this content");
        }).RequireContent(ContentRight.Change);
    }

    private static async Task<(long Id, string? Problem)> PrincipalAsync(PermissionRequest? body, UserRepository users, GroupRepository groups, CancellationToken ct)
    {
        if (body is not { PrincipalGuid: { } guid, PrincipalType: PrincipalTypes.User or PrincipalTypes.Group, Role: ContentRoles.Viewer or ContentRoles.Owner })
        {
            return (0, "send {\"principal_guid\": ..., \"principal_type\": \"user\" | \"group\", \"role\": \"viewer\" | \"owner\"}");
        }

        if (body.PrincipalType == PrincipalTypes.Group)
        {
            return await groups.FindByGuidAsync(guid, ct) is { } group ? (group.Id, null) : (0, $"group {guid} does not exist");
        }

        return await users.FindByGuidAsync(guid, ct) switch
        {
            null => (0, $"user {guid} does not exist"),
            { CanPublish: false } when body.Role == ContentRoles.Owner => (0, "a viewer cannot be an owner (collaborator) of content; make them a publisher first"),
            var user => (user.Id, null),
        };
    }

    private static object Json(ContentPermission p, ContentItem content) => new
    {
        id = p.Id.ToString(), content_guid = content.Guid, principal_guid = p.PrincipalGuid, principal_type = p.PrincipalType, role = p.Role,
    };

    internal sealed record PermissionRequest(string? PrincipalGuid, string? PrincipalType, string? Role);
}
