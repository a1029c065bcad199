using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Security.Ldap;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Components;

namespace Connect.Admin.Components.Pages;

/// <summary>Administrators' list of users: add one (or one from the directory), change a role, lock or unlock, set a password.</summary>
public sealed partial class Users : ClusterPage
{
    private Caller? _caller;
    private IReadOnlyList<User> _users = [];
    private string _search = "";
    private string? _newName;
    private UserRole _newRole = UserRole.Viewer;
    private string? _newPassword;
    private User? _passwordFor;
    private string? _password;
    private string? _message;
    private bool _saved;
    private string? _directoryPrefix;
    private IReadOnlyList<FoundPerson> _found = [];

    [Inject]
    public required IPeople People { get; set; }

    [Inject]
    public required IDirectoryDesk Directory { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _caller = await CallerAsync();
        await ReloadAsync();
    }

    private async Task ReloadAsync() => _users = _caller is null ? [] : await People.ListAsync(_caller, CancellationToken.None);

    private bool Matches(User user) =>
        string.IsNullOrWhiteSpace(_search) || new[] { user.Username, user.Email }.Any(v => v?.Contains(_search.Trim(), StringComparison.OrdinalIgnoreCase) == true);

    private async Task AfterAsync(Task<string?> change, string done)
    {
        var problem = await change;
        (_saved, _message) = (problem is null, problem ?? done);
        await ReloadAsync();
    }

    private Task AddAsync() => AfterAsync(AddThenClearAsync(), $"{_newName?.Trim()} is added.");

    private async Task<string?> AddThenClearAsync()
    {
        var problem = await People.AddAsync(_caller!, _newName, _newRole, _newPassword, CancellationToken.None);
        if (problem is null)
        {
            _newPassword = null;
        }

        return problem;
    }

    private async Task FindAsync()
    {
        var (found, problem) = await Directory.FindPeopleAsync(_caller!, _directoryPrefix, CancellationToken.None);
        (_found, _saved, _message) = (found, false, problem);
    }

    private async Task AddFoundAsync(FoundPerson person)
    {
        await AfterAsync(Directory.AddPersonAsync(_caller!, person, CancellationToken.None), $"{person.Person.Username} is added from the directory.");
        if (_saved)
        {
            // She is in the list of users now.
            _found = _found.Where(f => f != person).ToList();
        }
    }

    private Task SetRoleAsync(User user, UserRole role) =>
        AfterAsync(People.SetRoleAsync(_caller!, user, role, CancellationToken.None), $"{user.Username} is now {role.ToString().ToLowerInvariant()}.");

    private Task SetLockedAsync(User user, bool locked) =>
        AfterAsync(People.SetLockedAsync(_caller!, user, locked, CancellationToken.None), $"{user.Username} is {(locked ? "locked: her sessions and keys stop working" : "unlocked")}.");

    private async Task SetPasswordAsync(User user)
    {
        await AfterAsync(People.SetPasswordAsync(_caller!, user, _password, CancellationToken.None), $"{user.Username}'s password is set.");
        if (_saved)
        {
            (_passwordFor, _password) = (null, null);
        }
    }
}
