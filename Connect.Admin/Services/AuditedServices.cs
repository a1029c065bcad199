using Connect.Shared.Access;
using Connect.Shared.Content;
using Connect.Shared.Security.Ldap;
using Connect.Shared.Users;

namespace Connect.Admin.Services;

/// <summary>
/// The dashboard's changes, recorded in the audit log once they are made (a change refused is not), with the API's
/// action names. One decorator per service that changes things (the catalog records its one change, runtime settings,
/// itself), so no page can change something unrecorded.
/// </summary>
internal static class Audited
{
    public static async Task<string?> ChangeAsync(IDashboardAudit audit, Caller? caller, Task<string?> change, string action, string description)
    {
        var problem = await change;
        if (problem is null)
        {
            await audit.RecordAsync(caller, action, description);
        }

        return problem;
    }
}

internal sealed class AuditedContentDesk(ContentDesk desk, IDashboardAudit audit) : IContentDesk
{
    private Task<string?> Change(ContentDetails details, Task<string?> change, string action, string what) =>
        Audited.ChangeAsync(audit, details.Caller, change, action, $"{what} of {details.Item.Name} ({details.Item.Guid})");

    public Task<string?> UpdateInfoAsync(ContentDetails details, string? title, string? description, CancellationToken cancellationToken) =>
        Change(details, desk.UpdateInfoAsync(details, title, description, cancellationToken), "update_content", "title and description");

    public Task<string?> SetAccessTypeAsync(ContentDetails details, string accessType, CancellationToken cancellationToken) =>
        Change(details, desk.SetAccessTypeAsync(details, accessType, cancellationToken), "update_content", $"access type set to {accessType}");

    public Task<string?> VanityAsync(ContentDetails details, CancellationToken cancellationToken) => desk.VanityAsync(details, cancellationToken);

    public Task<string?> SetVanityAsync(ContentDetails details, Caller caller, string? path, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, desk.SetVanityAsync(details, caller, path, cancellationToken),
            string.IsNullOrWhiteSpace(path) ? "remove_vanity_url" : "update_vanity_url", $"vanity path of {details.Item.Name} ({details.Item.Guid}) set to '{path?.Trim()}'");

    public Task<(IReadOnlyList<Tag> All, IReadOnlyList<Tag> Items)> TagsAsync(ContentDetails details, CancellationToken cancellationToken) =>
        desk.TagsAsync(details, cancellationToken);

    public Task<string?> TagAsync(ContentDetails details, Tag tag, bool on, CancellationToken cancellationToken) =>
        Change(details, desk.TagAsync(details, tag, on, cancellationToken), on ? "add_tag" : "remove_tag", $"tag {tag.Name}");

    public Task<IReadOnlyList<SharedWith>> SharingAsync(ContentDetails details, CancellationToken cancellationToken) => desk.SharingAsync(details, cancellationToken);

    public Task<IReadOnlyList<Principal>> FindPrincipalsAsync(ContentDetails details, string text, CancellationToken cancellationToken) =>
        desk.FindPrincipalsAsync(details, text, cancellationToken);

    public Task<string?> ShareAsync(ContentDetails details, Principal principal, string role, CancellationToken cancellationToken) =>
        Change(details, desk.ShareAsync(details, principal, role, cancellationToken), "add_permission", $"{principal.Type} {principal.Name} as {role}");

    public Task<string?> UnshareAsync(ContentDetails details, long permissionId, CancellationToken cancellationToken) =>
        Change(details, desk.UnshareAsync(details, permissionId, cancellationToken), "remove_permission", $"permission {permissionId}");

    public Task<IReadOnlyList<string>> VariableNamesAsync(ContentDetails details, CancellationToken cancellationToken) => desk.VariableNamesAsync(details, cancellationToken);

    // The variable's name only: its value is a secret.
    public Task<string?> SetVariableAsync(ContentDetails details, string name, string? value, CancellationToken cancellationToken) =>
        Change(details, desk.SetVariableAsync(details, name, value, cancellationToken), "update_environment", value is null ? $"variable {name} removed" : $"variable {name} set");

    public Task<string?> CreateScheduleAsync(ContentDetails details, string? interval, string? cron, string? timeZone, CancellationToken cancellationToken) =>
        Change(details, desk.CreateScheduleAsync(details, interval, cron, timeZone, cancellationToken), "add_schedule", $"schedule {interval ?? cron}");

    public Task<string?> SetScheduleEnabledAsync(ContentDetails details, long id, bool enabled, CancellationToken cancellationToken) =>
        Change(details, desk.SetScheduleEnabledAsync(details, id, enabled, cancellationToken), "update_schedule", $"schedule {id} {(enabled ? "resumed" : "paused")}");

    public Task<string?> RunScheduleNowAsync(ContentDetails details, long id, CancellationToken cancellationToken) =>
        Change(details, desk.RunScheduleNowAsync(details, id, cancellationToken), "render_content", $"schedule {id} run now");

    public Task<string?> DeleteScheduleAsync(ContentDetails details, long id, CancellationToken cancellationToken) =>
        Change(details, desk.DeleteScheduleAsync(details, id, cancellationToken), "remove_schedule", $"schedule {id}");

    public Task<string?> ActivateBundleAsync(ContentDetails details, Caller caller, Bundle bundle, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, desk.ActivateBundleAsync(details, caller, bundle, cancellationToken), "deploy_content",
            $"bundle {bundle.Id} of {details.Item.Name} ({details.Item.Guid}) activated");

    public Task<IReadOnlyList<LogFile>> LogFilesAsync(ContentDetails details, CancellationToken cancellationToken) => desk.LogFilesAsync(details, cancellationToken);

    public Task<string> ReadLogAsync(ContentDetails details, string name, CancellationToken cancellationToken) => desk.ReadLogAsync(details, name, cancellationToken);
}

internal sealed class AuditedPeople(People people, IDashboardAudit audit) : IPeople
{
    public Task<IReadOnlyList<User>> ListAsync(Caller caller, CancellationToken cancellationToken) => people.ListAsync(caller, cancellationToken);

    public Task<string?> AddAsync(Caller caller, string? username, UserRole role, string? password, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, people.AddAsync(caller, username, role, password, cancellationToken), "add_user", $"user {username?.Trim()} as {role}");

    public Task<string?> SetRoleAsync(Caller caller, User user, UserRole role, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, people.SetRoleAsync(caller, user, role, cancellationToken), "update_user", $"user {user.Username} made {role}");

    public Task<string?> SetLockedAsync(Caller caller, User user, bool locked, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, people.SetLockedAsync(caller, user, locked, cancellationToken), "lock_user", $"user {user.Username} {(locked ? "locked" : "unlocked")}");

    public Task<string?> SetPasswordAsync(Caller caller, User user, string? password, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, people.SetPasswordAsync(caller, user, password, cancellationToken), "update_user", $"password of {user.Username} set");

    public Task<string?> ChangeOwnPasswordAsync(Caller caller, string? current, string? replacement, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, people.ChangeOwnPasswordAsync(caller, current, replacement, cancellationToken), "update_user", $"own password of {caller.Username} changed");
}

internal sealed class AuditedAccountKeys(AccountKeys keys, IDashboardAudit audit) : IAccountKeys
{
    public Task<IReadOnlyList<ApiKey>> ListAsync(Caller caller, CancellationToken cancellationToken) => keys.ListAsync(caller, cancellationToken);

    public async Task<NewKey> CreateAsync(Caller caller, string? name, CancellationToken cancellationToken)
    {
        var made = await keys.CreateAsync(caller, name, cancellationToken);
        if (made.Key is { } key)
        {
            await audit.RecordAsync(caller, "add_api_key", $"API key {key.Id} '{key.Name}' of {caller.Username}");
        }

        return made;
    }

    public async Task<bool> RevokeAsync(Caller caller, long id, CancellationToken cancellationToken)
    {
        var revoked = await keys.RevokeAsync(caller, id, cancellationToken);
        if (revoked)
        {
            await audit.RecordAsync(caller, "remove_api_key", $"API key {id} revoked");
        }

        return revoked;
    }
}

internal sealed class AuditedGroupsDesk(GroupsDesk groups, IDashboardAudit audit) : IGroupsDesk
{
    public Task<IReadOnlyList<UserGroup>> ListAsync(CancellationToken cancellationToken) => groups.ListAsync(cancellationToken);

    public Task<IReadOnlyList<User>> MembersAsync(UserGroup group, CancellationToken cancellationToken) => groups.MembersAsync(group, cancellationToken);

    public Task<string?> CreateAsync(Caller caller, string? name, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, groups.CreateAsync(caller, name, cancellationToken), "add_group", $"group {name?.Trim()}");

    public Task<string?> DeleteAsync(Caller caller, UserGroup group, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, groups.DeleteAsync(caller, group, cancellationToken), "remove_group", $"group {group.Name}");

    public Task<string?> AddMemberAsync(Caller caller, UserGroup group, string? username, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, groups.AddMemberAsync(caller, group, username, cancellationToken), "add_group_member", $"{username?.Trim()} to group {group.Name}");

    public Task<string?> RemoveMemberAsync(Caller caller, UserGroup group, User member, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, groups.RemoveMemberAsync(caller, group, member, cancellationToken), "remove_group_member", $"{member.Username} from group {group.Name}");
}

internal sealed class AuditedDirectoryDesk(DirectoryDesk desk, IDashboardAudit audit) : IDirectoryDesk
{
    public bool Available => desk.Available;

    public Task<(IReadOnlyList<FoundPerson> Found, string? Problem)> FindPeopleAsync(Caller caller, string? prefix, CancellationToken cancellationToken) =>
        desk.FindPeopleAsync(caller, prefix, cancellationToken);

    public Task<string?> AddPersonAsync(Caller caller, FoundPerson person, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, desk.AddPersonAsync(caller, person, cancellationToken), "add_user", $"user {person.Person.Username} from the directory");

    public Task<(IReadOnlyList<FoundGroup> Found, string? Problem)> FindGroupsAsync(Caller caller, string? prefix, CancellationToken cancellationToken) =>
        desk.FindGroupsAsync(caller, prefix, cancellationToken);

    public Task<string?> AddGroupAsync(Caller caller, FoundGroup group, CancellationToken cancellationToken) =>
        Audited.ChangeAsync(audit, caller, desk.AddGroupAsync(caller, group, cancellationToken), "add_group", $"group {group.Name} from the directory");
}
