using Connect.Shared.Users;

namespace Connect.Shared.Access;

/// <summary>What an administrator may do to a user, the same in the API and the dashboard.</summary>
public static class UserRules
{
    public const string OwnAdministratorRole = "you cannot take the administrator role from yourself; another administrator can";
    public const string OwnLock = "you cannot lock yourself out";

    /// <summary>Why <paramref name="caller"/> may not give <paramref name="user"/> <paramref name="role"/>, or null.</summary>
    /// <remarks>The server keeps an administrator who can undo a change: the caller may be its last one.</remarks>
    public static string? RoleChangeProblem(Caller caller, User user, UserRole role) =>
        !caller.IsAdministrator ? "only an administrator may change a user's role"
        : user.Id == caller.Id && role != UserRole.Administrator ? OwnAdministratorRole
        : null;

    /// <summary>Why <paramref name="caller"/> may not lock or unlock <paramref name="user"/>, or null.</summary>
    public static string? LockProblem(Caller caller, User user, bool locked) =>
        !caller.IsAdministrator ? "only an administrator may lock or unlock a user"
        : user.Id == caller.Id && locked ? OwnLock
        : null;
}
