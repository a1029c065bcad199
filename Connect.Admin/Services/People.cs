using Connect.Shared.Access;
using Connect.Shared.Users;

namespace Connect.Admin.Services;

/// <summary>
/// Users in the dashboard: administrators list, add, re-role, lock and unlock them and set their passwords; everyone
/// changes her own password. The rules are the API's (<see cref="UserRules"/>, <see cref="UserRepository"/>'s checks).
/// A change answers its problem, or null.
/// </summary>
public interface IPeople
{
    Task<IReadOnlyList<User>> ListAsync(Caller caller, CancellationToken cancellationToken);

    Task<string?> AddAsync(Caller caller, string? username, UserRole role, string? password, CancellationToken cancellationToken);

    Task<string?> SetRoleAsync(Caller caller, User user, UserRole role, CancellationToken cancellationToken);

    Task<string?> SetLockedAsync(Caller caller, User user, bool locked, CancellationToken cancellationToken);

    Task<string?> SetPasswordAsync(Caller caller, User user, string? password, CancellationToken cancellationToken);

    /// <summary>The caller's own password, given her current one.</summary>
    Task<string?> ChangeOwnPasswordAsync(Caller caller, string? current, string? replacement, CancellationToken cancellationToken);
}

internal sealed class People(UserRepository users) : IPeople
{
    public const string AdministratorsOnly = "only an administrator may manage users";

    public async Task<IReadOnlyList<User>> ListAsync(Caller caller, CancellationToken cancellationToken) =>
        caller.IsAdministrator ? await users.ListAsync(cancellationToken) : [];

    public async Task<string?> AddAsync(Caller caller, string? username, UserRole role, string? password, CancellationToken cancellationToken)
    {
        if (!caller.IsAdministrator)
        {
            return AdministratorsOnly;
        }

        if (UserRepository.ValidateUsername(username?.Trim()) is { } nameProblem)
        {
            return nameProblem;
        }

        if (!string.IsNullOrEmpty(password) && UserRepository.ValidatePassword(password) is { } passwordProblem)
        {
            return passwordProblem;
        }

        return (await users.AddAsync(username!.Trim(), role, password: string.IsNullOrEmpty(password) ? null : password, cancellationToken: cancellationToken)).Error;
    }

    public async Task<string?> SetRoleAsync(Caller caller, User user, UserRole role, CancellationToken cancellationToken)
    {
        if (UserRules.RoleChangeProblem(caller, user, role) is { } problem)
        {
            return problem;
        }

        await users.SetRoleAsync(user.Id, role, cancellationToken);
        return null;
    }

    public async Task<string?> SetLockedAsync(Caller caller, User user, bool locked, CancellationToken cancellationToken)
    {
        if (UserRules.LockProblem(caller, user, locked) is { } problem)
        {
            return problem;
        }

        await users.SetLockedAsync(user.Id, locked, cancellationToken);
        return null;
    }

    public async Task<string?> SetPasswordAsync(Caller caller, User user, string? password, CancellationToken cancellationToken) =>
        !caller.IsAdministrator ? AdministratorsOnly
        : user.Provider is { } provider ? $"{user.Username} signs in through {provider}: a password here would not be used"
        : UserRepository.ValidatePassword(password) is { } problem ? problem
        : await users.SetPasswordAsync(user.Username, password!, cancellationToken) ? null
        : $"user {user.Username} no longer exists";

    public async Task<string?> ChangeOwnPasswordAsync(Caller caller, string? current, string? replacement, CancellationToken cancellationToken)
    {
        if (UserRepository.ValidatePassword(replacement) is { } problem)
        {
            return problem;
        }

        if ((await users.CheckPasswordAsync(caller.Username, current ?? "", cancellationToken)).Status != SignInStatus.SignedIn)
        {
            return "the current password is not right";
        }

        await users.SetPasswordAsync(caller.Username, replacement!, cancellationToken);
        return null;
    }
}
