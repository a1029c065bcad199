using Connect.Shared.Access;
using Connect.Shared.Users;

namespace Connect.Admin.Services;

/// <summary>
/// Groups in the dashboard, by the API's rules: anyone who may publish makes one, its maker or an administrator
/// changes it (<see cref="GroupRules"/>). A change answers its problem, or null.
/// </summary>
public interface IGroupsDesk
{
    Task<IReadOnlyList<UserGroup>> ListAsync(CancellationToken cancellationToken);

    Task<IReadOnlyList<User>> MembersAsync(UserGroup group, CancellationToken cancellationToken);

    Task<string?> CreateAsync(Caller caller, string? name, CancellationToken cancellationToken);

    Task<string?> DeleteAsync(Caller caller, UserGroup group, CancellationToken cancellationToken);

    Task<string?> AddMemberAsync(Caller caller, UserGroup group, string? username, CancellationToken cancellationToken);

    Task<string?> RemoveMemberAsync(Caller caller, UserGroup group, User member, CancellationToken cancellationToken);
}

internal sealed class GroupsDesk(GroupRepository groups, UserRepository users) : IGroupsDesk
{
    public const string NotYours = "only the group's creator or an administrator may change it";

    public Task<IReadOnlyList<UserGroup>> ListAsync(CancellationToken cancellationToken) => groups.ListAsync(cancellationToken);

    public Task<IReadOnlyList<User>> MembersAsync(UserGroup group, CancellationToken cancellationToken) => groups.MembersAsync(group.Id, cancellationToken);

    public async Task<string?> CreateAsync(Caller caller, string? name, CancellationToken cancellationToken) =>
        !caller.CanPublish ? "only publishers and administrators may make groups"
        : GroupRepository.ValidateName(name?.Trim()) is { } problem ? problem
        : await groups.CreateAsync(name!.Trim(), caller.Id, cancellationToken) is null ? $"a group named '{name!.Trim()}' already exists"
        : null;

    public async Task<string?> DeleteAsync(Caller caller, UserGroup group, CancellationToken cancellationToken) =>
        !GroupRules.CanChange(caller, group) ? NotYours
        : await groups.DeleteAsync(group.Id, cancellationToken) ? null
        : $"group {group.Name} no longer exists";

    public async Task<string?> AddMemberAsync(Caller caller, UserGroup group, string? username, CancellationToken cancellationToken)
    {
        if (!GroupRules.CanChange(caller, group))
        {
            return NotYours;
        }

        if (GroupRules.MembersProblem(group) is { } fromProvider)
        {
            return fromProvider;
        }

        if (string.IsNullOrWhiteSpace(username) || await users.FindAsync(username.Trim(), cancellationToken) is not { } user)
        {
            return $"there is no user '{username?.Trim()}'";
        }

        await groups.AddMemberAsync(group.Id, user.Id, cancellationToken);
        return null;
    }

    public async Task<string?> RemoveMemberAsync(Caller caller, UserGroup group, User member, CancellationToken cancellationToken) =>
        !GroupRules.CanChange(caller, group) ? NotYours
        : GroupRules.MembersProblem(group) is { } fromProvider ? fromProvider
        : await groups.RemoveMemberAsync(group.Id, member.Id, cancellationToken) ? null
        : $"{member.Username} is not a member of {group.Name}";
}
