using Connect.Runtime.Authentication;
using Connect.Shared.Access;
using Connect.Shared.Content;

namespace Connect.Runtime.Content;

/// <summary>
/// The node's side of <see cref="ContentRules"/>: the rules with the node's role lookups, and their refusals as API errors.
/// </summary>
internal static class ContentAccess
{
    /// <summary>Whether <paramref name="caller"/> (null: anonymous) may view the item.</summary>
    public static Task<bool> CanViewAsync(ContentRepository contents, Caller? caller, ContentItem content, CancellationToken cancellationToken) =>
        ContentRules.CanViewAsync(contents.RoleOfAsync, caller, content, cancellationToken);

    /// <summary>The same, with roles from the content lookup's short-lived cache (for every viewer request).</summary>
    public static Task<bool> CanViewAsync(ContentLookup lookup, Caller? caller, ContentItem content, CancellationToken cancellationToken) =>
        ContentRules.CanViewAsync(lookup.RoleOfAsync, caller, content, cancellationToken);

    /// <summary>
    /// Whether the caller (null: anonymous) may change the item and read its logs: its owner, a collaborator or an
    /// administrator; roles from the lookup's short-lived cache.
    /// </summary>
    public static async Task<bool> CanChangeAsync(ContentLookup lookup, Caller? caller, ContentItem content, CancellationToken cancellationToken) =>
        caller is not null && await ContentRules.RoleAsync(lookup.RoleOfAsync, caller, content, cancellationToken) == ContentRoles.Owner;

    /// <summary>The caller's role on the item: owner (its owner, a collaborator, an administrator), viewer, or none.</summary>
    public static Task<string?> RoleAsync(ContentRepository contents, Caller caller, ContentItem content, CancellationToken cancellationToken) =>
        ContentRules.RoleAsync(contents.RoleOfAsync, caller, content, cancellationToken);

    /// <summary>The caller's <see cref="ContentRules.AppRole"/> on one item, asking the permission list only when the caller is not its owner.</summary>
    public static async Task<string> AppRoleAsync(ContentRepository contents, Caller caller, ContentItem content, CancellationToken cancellationToken) =>
        ContentRules.AppRole(caller, content, content.OwnerId == caller.Id ? null : await contents.RoleOfAsync(content.Id, caller.Id, cancellationToken));

    /// <summary><see cref="ContentRules.DecideAsync"/>, its refusal as the API answers it (naming the item as <paramref name="what"/>).</summary>
    public static async Task<(ContentItem?, IResult?)> CheckAsync(
        ContentRepository contents, ContentItem? content, Caller caller, string what, ContentRight right, CancellationToken cancellationToken) =>
        await ContentRules.DecideAsync(contents.RoleOfAsync, caller, content, right, cancellationToken) switch
        {
            ContentDecision.NotFound => (null, ApiErrors.NotFound($"{what} does not exist")),
            ContentDecision.Forbidden => (null, ApiErrors.Forbidden($"you may view {what} but not change it: that takes its owner, a collaborator or an administrator", ApiErrorCode.ChangeDenied)),
            _ => (content, null),
        };
}
