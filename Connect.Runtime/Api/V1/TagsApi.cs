using System.Security.Claims;
using Connect.Runtime.Authentication;
using Connect.Shared.Content;
using Connect.Shared.Access;
using Connect.Runtime.Publishing;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

internal sealed record CreateTagRequest(string? Name, string? ParentId);

internal sealed record ContentTagRequest(string? TagId);

/// <summary>
/// The tag tree (<c>/__api__/v1/tags</c>, administrators change it) and each item's tags
/// (<c>/__api__/v1/content/{guid}/tags</c>, changed by whoever may change the item). Ids are strings, as the reference has them.
/// </summary>
internal static class TagsApi
{
    public static void MapTagsApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1").RequireAuthorization();

        // name and parent_id narrow the list (an empty parent_id: the tags at the top of the tree).
        v1.MapGet("/tags", async (string? name, string? parent_id, TagRepository tags, CancellationToken ct) =>
        {
            long? parent = null;
            if (!string.IsNullOrEmpty(parent_id))
            {
                if (!long.TryParse(parent_id, out var parentId))
                {
                    return ApiErrors.BadRequest($"parent_id '{parent_id}' is not a tag id", ApiErrorCode.InvalidId);
                }

                parent = parentId;
            }

            return Results.Json((await tags.ListAsync(ct))
                .Where(t => (name is null || t.Name == name) && (parent_id is null || t.ParentId == parent))
                .Select(TagJson.From));
        });

        // The items that carry a tag, of those the caller may see.
        v1.MapGet("/tags/{id}/content", async (string id, HttpContext context, ClaimsPrincipal principal, TagRepository tags, ContentRepository contents,
            Shared.Configuration.ConnectOptions options, CancellationToken ct) =>
        {
            if (!long.TryParse(id, out var tagId) || await tags.GetAsync(tagId, ct) is null)
            {
                return ApiErrors.NotFound($"tag {id} does not exist");
            }

            var caller = Caller.From(principal);
            var tagged = await tags.OfContentAsync(ct);
            var roles = await contents.RolesOfAsync(caller.Id, ct);
            var baseUrl = ContentUrls.BaseUrl(context, options);
            return Results.Json((await contents.ListVisibleAsync(caller.IsAdministrator ? null : caller.Id, ct))
                .Where(c => tagged.GetValueOrDefault(c.Id)?.Any(t => t.Id == tagId) == true)
                .Select(c => ContentJson.From(c, baseUrl, ContentRules.AppRole(caller, c, roles.GetValueOrDefault(c.Id)), dashboardAddress: options.Server.DashboardAddress)));
        });

        v1.MapGet("/tags/{id}", async (string id, TagRepository tags, CancellationToken ct) =>
            long.TryParse(id, out var number) && await tags.GetAsync(number, ct) is { } tag ? Results.Json(TagJson.From(tag)) : ApiErrors.NotFound($"tag {id} does not exist"));

        v1.MapPost("/tags", async (CreateTagRequest? body, TagRepository tags, CancellationToken ct) =>
        {
            if (TagRepository.ValidateName(body?.Name) is { } problem)
            {
                return ApiErrors.BadRequest(problem, body?.Name is { Length: > TagRepository.MaxNameLength } ? ApiErrorCode.TagNameTooLong : ApiErrorCode.TagNameMissing);
            }

            long? parent = null;
            if (body!.ParentId is { } parentText)
            {
                if (!long.TryParse(parentText, out var parentId))
                {
                    return ApiErrors.BadRequest($"parent_id '{parentText}' is not a tag id", ApiErrorCode.InvalidId);
                }

                parent = parentId;
            }

            var created = await tags.CreateAsync(body.Name!, parent, ct);
            return created.Tag is { } tag ? Results.Json(TagJson.From(tag), statusCode: StatusCodes.Status201Created)
                : created.MissingParent ? ApiErrors.NotFound(created.Error!)
                : ApiErrors.BadRequest(created.Error!, ApiErrorCode.DuplicateTagName);
        }).RequireAuthorization(AuthenticationSetup.Administrators);

        v1.MapDelete("/tags/{id}", async (string id, TagRepository tags, CancellationToken ct) =>
            long.TryParse(id, out var number) && await tags.DeleteAsync(number, ct) ? Results.NoContent() : ApiErrors.NotFound($"tag {id} does not exist"))
            .RequireAuthorization(AuthenticationSetup.Administrators);

        v1.MapGet("/content/{guid}/tags", async (RoutedContent routed, TagRepository tags, CancellationToken ct) =>
        {
            var content = routed.Item;
            return Results.Json((await tags.OfContentAsync(content.Id, ct)).Select(TagJson.From));
        }).RequireContent(ContentRight.View);

        v1.MapPost("/content/{guid}/tags", async (RoutedContent routed, ContentTagRequest? body, TagRepository tags, CancellationToken ct) =>
        {
            var content = routed.Item;

            if (!long.TryParse(body?.TagId, out var tagId) || await tags.GetAsync(tagId, ct) is not { } tag)
            {
                return ApiErrors.BadRequest($"send {{\"tag_id\": \"...\"}} naming an existing tag", ApiErrorCode.InvalidId);
            }

            await tags.AddToContentAsync(content.Id, tagId, ct);
            return Results.Json(TagJson.From(tag), statusCode: StatusCodes.Status201Created);
        }).RequireContent(ContentRight.Change);

        v1.MapDelete("/content/{guid}/tags/{id}", async (RoutedContent routed, string guid, string id, TagRepository tags, CancellationToken ct) =>
        {
            var content = routed.Item;
            return (long.TryParse(id, out var tagId) && await tags.RemoveFromContentAsync(content.Id, tagId, ct)
                ? Results.NoContent()
                : ApiErrors.NotFound($"content {guid} does not have tag {id}"));
        }).RequireContent(ContentRight.Change);
    }
}
