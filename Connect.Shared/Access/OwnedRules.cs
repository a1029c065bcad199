using Connect.Shared.Tasks;
using Connect.Shared.Users;

namespace Connect.Shared.Access;

/// <summary>Who may change a group: the user who made it, or an administrator. Anyone signed in may see it.</summary>
public static class GroupRules
{
    public static bool CanChange(Caller caller, UserGroup group) => group.OwnerId == caller.Id || caller.IsAdministrator;

    /// <summary>Why nobody may add or remove a member here: a provider's group takes its members from each sign-in.</summary>
    public static string? MembersProblem(UserGroup group) => group.Provider is { } provider
        ? $"the members of group {group.Name} come from the sign-in provider ({provider}) at each sign-in; change them there"
        : null;
}

/// <summary>Who may follow a task (a deploy, a render, a cache removal): the user who started it, or an administrator.</summary>
public static class TaskRules
{
    public static bool CanSee(Caller caller, TaskState task) => task.UserId == caller.Id || caller.IsAdministrator;
}
