using Connect.Shared.Content;

namespace Connect.Shared.Access;

/// <summary>What a caller wants to do with a content item.</summary>
public enum ContentRight
{
    /// <summary>See it: its page, its settings as the API shows them.</summary>
    View,

    /// <summary>Change it: deploy, settings, access, schedules, variables (its owner, a collaborator, an administrator).</summary>
    Change,
}

/// <summary>The answer to "may this caller do this with this item".</summary>
public enum ContentDecision
{
    Allowed,

    /// <summary>The item does not exist, or the caller may not see it: both answer alike, so neither its existence nor its owner is given away.</summary>
    NotFound,

    /// <summary>The caller may see the item but not change it.</summary>
    Forbidden,
}

/// <summary>
/// Who may see and who may change a content item: the one place these rules live, for the node's content URLs,
/// WebSockets, static fast path and API, and for the console. <c>roleOf(contentId, userId)</c> is the caller's role
/// from the item's permission list (directly or through a group), from the database or a short-lived cache.
/// </summary>
public static class ContentRules
{
    /// <summary>Whether <paramref name="caller"/> (null: anonymous) may view the item.</summary>
    public static async Task<bool> CanViewAsync(Func<long, long, CancellationToken, Task<string?>> roleOf, Caller? caller, ContentItem content, CancellationToken cancellationToken) =>
        content.AccessType == AccessTypes.All
        || caller is not null && (content.AccessType == AccessTypes.LoggedIn || await RoleAsync(roleOf, caller, content, cancellationToken) is not null);

    /// <summary>The caller's role on the item: owner (its owner, a collaborator, an administrator), viewer, or none.</summary>
    public static async Task<string?> RoleAsync(Func<long, long, CancellationToken, Task<string?>> roleOf, Caller caller, ContentItem content, CancellationToken cancellationToken) =>
        caller.IsAdministrator || content.OwnerId == caller.Id
            ? ContentRoles.Owner
            : Effective(caller, await roleOf(content.Id, caller.Id, cancellationToken));

    /// <summary>Whether <paramref name="caller"/> may exercise <paramref name="right"/> on <paramref name="content"/> (null: no such item).</summary>
    public static async Task<ContentDecision> DecideAsync(Func<long, long, CancellationToken, Task<string?>> roleOf, Caller caller, ContentItem? content, ContentRight right,
        CancellationToken cancellationToken)
    {
        if (content is null || !await CanViewAsync(roleOf, caller, content, cancellationToken))
        {
            return ContentDecision.NotFound;
        }

        return right == ContentRight.Change && await RoleAsync(roleOf, caller, content, cancellationToken) != ContentRoles.Owner
            ? ContentDecision.Forbidden
            : ContentDecision.Allowed;
    }

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
    public static string? Effective(Caller caller, string? listedRole) =>
        listedRole == ContentRoles.Owner && !caller.CanPublish ? ContentRoles.Viewer : listedRole;
}
