using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Security.Ldap;
using Connect.Shared.Users;

namespace Connect.Admin.Tests;

/// <summary>A directory in memory: people and group names found by the start of their names; adding one calls <see cref="Added"/>.</summary>
public sealed class FakeDirectoryDesk : IDirectoryDesk
{
    public bool Available { get; set; }

    public List<DirectoryPerson> People { get; } = [];

    public List<string> Groups { get; } = [];

    /// <summary>What an addition does (the test adds to its users or groups); its answer is the addition's problem.</summary>
    public Func<string, string?> Added { get; set; } = _ => null;

    public Task<(IReadOnlyList<FoundPerson> Found, string? Problem)> FindPeopleAsync(Caller caller, string? prefix, CancellationToken cancellationToken)
    {
        var found = People.Where(p => p.Username.StartsWith(prefix ?? "", StringComparison.OrdinalIgnoreCase))
            .Select(p => new FoundPerson(p, null, $"ticket-{p.Username}")).ToList();
        return Task.FromResult<(IReadOnlyList<FoundPerson>, string?)>((found, found.Count == 0 ? "the directory has nobody by that name" : null));
    }

    public Task<string?> AddPersonAsync(Caller caller, FoundPerson person, CancellationToken cancellationToken) =>
        Task.FromResult(caller.CanPublish ? Added(person.Person.Username) : "only publishers and administrators may add people and groups from the directory");

    public Task<(IReadOnlyList<FoundGroup> Found, string? Problem)> FindGroupsAsync(Caller caller, string? prefix, CancellationToken cancellationToken)
    {
        var found = Groups.Where(g => g.StartsWith(prefix ?? "", StringComparison.OrdinalIgnoreCase)).Select(g => new FoundGroup(g, null, $"ticket-{g}")).ToList();
        return Task.FromResult<(IReadOnlyList<FoundGroup>, string?)>((found, found.Count == 0 ? "the directory has nobody by that name" : null));
    }

    public Task<string?> AddGroupAsync(Caller caller, FoundGroup group, CancellationToken cancellationToken) => Task.FromResult(Added(group.Name));
}
