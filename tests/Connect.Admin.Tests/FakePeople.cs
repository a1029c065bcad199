using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Users;

namespace Connect.Admin.Tests;

/// <summary>Users in memory, with the real rules (<see cref="UserRules"/>, the repository's name and password checks).</summary>
public sealed class FakePeople : IPeople
{
    public List<User> All { get; } = [];

    public Dictionary<string, string> Passwords { get; } = [];

    public Task<IReadOnlyList<User>> ListAsync(Caller caller, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<User>>(caller.IsAdministrator ? All.ToList() : []);

    public Task<string?> AddAsync(Caller caller, string? username, UserRole role, string? password, CancellationToken cancellationToken)
    {
        var problem = !caller.IsAdministrator ? People.AdministratorsOnly : UserRepository.ValidateUsername(username);
        if (problem is null)
        {
            All.Add(new User(All.Count + 100, Guid.NewGuid().ToString(), username!, null, role, false, DateTimeOffset.UnixEpoch));
        }

        return Task.FromResult(problem);
    }

    public Task<string?> SetRoleAsync(Caller caller, User user, UserRole role, CancellationToken cancellationToken) =>
        Task.FromResult(UserRules.RoleChangeProblem(caller, user, role) ?? Replace(user, user with { Role = role }));

    public Task<string?> SetLockedAsync(Caller caller, User user, bool locked, CancellationToken cancellationToken) =>
        Task.FromResult(UserRules.LockProblem(caller, user, locked) ?? Replace(user, user with { Locked = locked }));

    public Task<string?> SetPasswordAsync(Caller caller, User user, string? password, CancellationToken cancellationToken)
    {
        var problem = UserRepository.ValidatePassword(password);
        if (problem is null)
        {
            Passwords[user.Username] = password!;
        }

        return Task.FromResult(problem);
    }

    public Task<string?> ChangeOwnPasswordAsync(Caller caller, string? current, string? replacement, CancellationToken cancellationToken)
    {
        var problem = UserRepository.ValidatePassword(replacement)
            ?? (Passwords.GetValueOrDefault(caller.Username) == current ? null : "the current password is not right");
        if (problem is null)
        {
            Passwords[caller.Username] = replacement!;
        }

        return Task.FromResult(problem);
    }

    private string? Replace(User old, User updated)
    {
        All[All.FindIndex(u => u.Id == old.Id)] = updated;
        return null;
    }
}
