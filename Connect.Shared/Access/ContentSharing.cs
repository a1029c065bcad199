using Connect.Shared.Content;
using Connect.Shared.Users;

namespace Connect.Shared.Access;

/// <summary>How a change to an item's permission list came out.</summary>
public enum SharingOutcome
{
    Done,

    /// <summary>The request is malformed or names someone who does not exist (or may not have that role).</summary>
    Invalid,

    /// <summary>That user or group is on the list already.</summary>
    Conflict,

    /// <summary>No such entry on this item's list.</summary>
    NotFound,
}

public sealed record SharingResult(SharingOutcome Outcome, ContentPermission? Permission = null, string? Problem = null);

/// <summary>
/// An item's permission list: who besides its owner may view it (viewers) or change it (collaborators, shown as
/// <see cref="ContentRoles.Owner"/>). One implementation for the API and the dashboard; the caller's right to change the
/// item is checked before (a route's <c>RequireContent</c>, the dashboard's item page).
/// </summary>
public sealed class ContentSharing(PermissionRepository permissions, UserRepository users, GroupRepository groups)
{
    public const string OwnerMustPublish = "a viewer cannot be an owner (collaborator) of content; make them a publisher first";

    public Task<IReadOnlyList<ContentPermission>> ListAsync(ContentItem content, CancellationToken cancellationToken) =>
        permissions.ListAsync(content.Id, cancellationToken);

    public Task<ContentPermission?> GetAsync(ContentItem content, long id, CancellationToken cancellationToken) =>
        permissions.GetAsync(content.Id, id, cancellationToken);

    public async Task<SharingResult> AddAsync(ContentItem content, string? principalType, string? principalGuid, string? role, CancellationToken cancellationToken)
    {
        if (principalGuid is null || principalType is not (PrincipalTypes.User or PrincipalTypes.Group) || role is not (ContentRoles.Viewer or ContentRoles.Owner))
        {
            return new(SharingOutcome.Invalid, Problem: "send {\"principal_guid\": ..., \"principal_type\": \"user\" | \"group\", \"role\": \"viewer\" | \"owner\"}");
        }

        long principalId;
        if (principalType == PrincipalTypes.Group)
        {
            if (await groups.FindByGuidAsync(principalGuid, cancellationToken) is not { } group)
            {
                return new(SharingOutcome.Invalid, Problem: $"group {principalGuid} does not exist");
            }

            principalId = group.Id;
        }
        else
        {
            switch (await users.FindByGuidAsync(principalGuid, cancellationToken))
            {
                case null:
                    return new(SharingOutcome.Invalid, Problem: $"user {principalGuid} does not exist");
                case { CanPublish: false } when role == ContentRoles.Owner:
                    return new(SharingOutcome.Invalid, Problem: OwnerMustPublish);
                case var user:
                    principalId = user.Id;
                    break;
            }
        }

        return await permissions.AddAsync(content.Id, principalType, principalId, role, cancellationToken) is { } added
            ? new(SharingOutcome.Done, added)
            : new(SharingOutcome.Conflict, Problem: $"that {principalType} is on the permission list already; change its role instead");
    }

    public async Task<SharingResult> SetRoleAsync(ContentItem content, long id, string? role, CancellationToken cancellationToken)
    {
        if (await permissions.GetAsync(content.Id, id, cancellationToken) is not { } existing)
        {
            return new(SharingOutcome.NotFound, Problem: $"permission {id} does not exist for this content");
        }

        if (role is not (ContentRoles.Viewer or ContentRoles.Owner))
        {
            return new(SharingOutcome.Invalid, Problem: "role must be viewer or owner");
        }

        if (role == ContentRoles.Owner && existing.PrincipalType == PrincipalTypes.User && await users.FindAsync(existing.PrincipalId, cancellationToken) is { CanPublish: false })
        {
            return new(SharingOutcome.Invalid, Problem: OwnerMustPublish);
        }

        await permissions.SetRoleAsync(content.Id, id, role, cancellationToken);
        return new(SharingOutcome.Done, await permissions.GetAsync(content.Id, id, cancellationToken));
    }

    public Task<bool> RemoveAsync(ContentItem content, long id, CancellationToken cancellationToken) =>
        permissions.DeleteAsync(content.Id, id, cancellationToken);
}
