using Connect.Runtime.Authentication;
using Connect.Shared.Content;

namespace Connect.Runtime.Publishing;

/// <summary>
/// Who may see and who may change a content item: the one place these rules live, for content URLs,
/// WebSockets and every API. An item a caller may not see answers exactly as one that does not exist,
/// so its existence and its owner are not given away.
/// </summary>
internal static class ContentAccess
{
    public static async Task<(ContentItem? Content, IResult? Error)> ForChangeAsync(ContentRepository contents, Caller caller, long id, CancellationToken cancellationToken) =>
        await CheckAsync(contents, await contents.GetAsync(id, cancellationToken), caller, $"application {id}", change: true, cancellationToken);

    public static async Task<(ContentItem? Content, IResult? Error)> ForChangeAsync(ContentRepository contents, Caller caller, string guid, CancellationToken cancellationToken) =>
        await CheckAsync(contents, await contents.GetAsync(guid, cancellationToken), caller, $"content {guid}", change: true, cancellationToken);

    public static async Task<(ContentItem? Content, IResult? Error)> ForViewAsync(ContentRepository contents, Caller caller, string guid, CancellationToken cancellationToken) =>
        await CheckAsync(contents, await contents.GetAsync(guid, cancellationToken), caller, $"content {guid}", change: false, cancellationToken);

    /// <summary>Whether <paramref name="caller"/> (null: anonymous) may view the item.</summary>
    public static Task<bool> CanViewAsync(ContentRepository contents, Caller? caller, ContentItem content, CancellationToken cancellationToken) =>
        CanViewAsync(contents.RoleOfAsync, caller, content, cancellationToken);

    /// <summary>The same, with roles from the content lookup's short-lived cache (for every viewer request).</summary>
    public static Task<bool> CanViewAsync(Content.ContentLookup lookup, Caller? caller, ContentItem content, CancellationToken cancellationToken) =>
        CanViewAsync(lookup.RoleOfAsync, caller, content, cancellationToken);

    /// <summary>The caller's role on the item: owner (its owner, a collaborator, an administrator), viewer, or none.</summary>
    public static Task<string?> RoleAsync(ContentRepository contents, Caller caller, ContentItem content, CancellationToken cancellationToken) =>
        RoleAsync(contents.RoleOfAsync, caller, content, cancellationToken);

    /// <summary>
    /// The caller's relation to the item as the v1 API's <c>app_role</c> names it: <c>owner</c> (its owner),
    /// <c>editor</c> (a collaborator), <c>viewer</c>, or <c>none</c> (an administrator who may manage but is not
    /// on it). <paramref name="listedRole"/> is the caller's role from the item's permission list, if any.
    /// </summary>
    public static string AppRole(Caller caller, ContentItem content, string? listedRole) =>
        content.OwnerId == caller.Id ? "owner"
        : Effective(caller, listedRole) == ContentRoles.Owner ? "editor"
        : listedRole is not null || content.AccessType is AccessTypes.All or AccessTypes.LoggedIn ? "viewer"
        : "none";

    /// <summary>
    /// Owners (collaborators) are publishers: a viewer listed as an owner, directly or through a group that holds the
    /// owner role on the item, gets only what a viewer gets. A group may hold viewers and publishers alike.
    /// </summary>
    private static string? Effective(Caller caller, string? listedRole) =>
        listedRole == ContentRoles.Owner && !caller.CanPublish ? ContentRoles.Viewer : listedRole;

    /// <summary>The caller's <see cref="AppRole"/> on one item, asking the permission list only when the caller is not its owner.</summary>
    public static async Task<string> AppRoleAsync(ContentRepository contents, Caller caller, ContentItem content, CancellationToken cancellationToken) =>
        AppRole(caller, content, content.OwnerId == caller.Id ? null : await contents.RoleOfAsync(content.Id, caller.Id, cancellationToken));

    private static async Task<bool> CanViewAsync(Func<long, long, CancellationToken, Task<string?>> roleOf, Caller? caller, ContentItem content, CancellationToken cancellationToken) =>
        content.AccessType == AccessTypes.All
        || caller is not null && (content.AccessType == AccessTypes.LoggedIn || await RoleAsync(roleOf, caller, content, cancellationToken) is not null);

    private static async Task<string?> RoleAsync(Func<long, long, CancellationToken, Task<string?>> roleOf, Caller caller, ContentItem content, CancellationToken cancellationToken) =>
        caller.IsAdministrator || content.OwnerId == caller.Id
            ? ContentRoles.Owner
            : Effective(caller, await roleOf(content.Id, caller.Id, cancellationToken));

    private static async Task<(ContentItem?, IResult?)> CheckAsync(
        ContentRepository contents, ContentItem? content, Caller caller, string what, bool change, CancellationToken cancellationToken)
    {
        if (content is null || !await CanViewAsync(contents, caller, content, cancellationToken))
        {
            return (null, ApiErrors.NotFound($"{what} does not exist"));
        }

        if (change && await RoleAsync(contents, caller, content, cancellationToken) != ContentRoles.Owner)
        {
            return (null, ApiErrors.Forbidden($"you may view {what} but not change it: that takes its owner, a collaborator or an administrator", ApiErrorCode.ChangeDenied));
        }

        return (content, null);
    }
}
