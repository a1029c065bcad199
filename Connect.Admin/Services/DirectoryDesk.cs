using Connect.Shared.Access;
using Connect.Shared.Security.Ldap;

namespace Connect.Admin.Services;

/// <summary>
/// The directory in the dashboard (<c>Authentication.Provider = ldap</c>): find colleagues and directory groups by the
/// start of their names and add them before they sign in, through the API's <see cref="DirectoryAccounts"/>. A find
/// answers what it found or its problem; an addition its problem, or null.
/// </summary>
public interface IDirectoryDesk
{
    /// <summary>Whether there is a directory to search.</summary>
    bool Available { get; }

    Task<(IReadOnlyList<FoundPerson> Found, string? Problem)> FindPeopleAsync(Caller caller, string? prefix, CancellationToken cancellationToken);

    Task<string?> AddPersonAsync(Caller caller, FoundPerson person, CancellationToken cancellationToken);

    Task<(IReadOnlyList<FoundGroup> Found, string? Problem)> FindGroupsAsync(Caller caller, string? prefix, CancellationToken cancellationToken);

    Task<string?> AddGroupAsync(Caller caller, FoundGroup group, CancellationToken cancellationToken);
}

internal sealed class DirectoryDesk(DirectoryAccounts accounts) : IDirectoryDesk
{
    public bool Available => accounts.Available;

    public async Task<(IReadOnlyList<FoundPerson> Found, string? Problem)> FindPeopleAsync(Caller caller, string? prefix, CancellationToken cancellationToken) =>
        Found(await accounts.SearchPeopleAsync(caller, prefix, null, cancellationToken));

    public async Task<string?> AddPersonAsync(Caller caller, FoundPerson person, CancellationToken cancellationToken) =>
        (await accounts.AddUserAsync(caller, person.Ticket, cancellationToken)).Problem;

    public async Task<(IReadOnlyList<FoundGroup> Found, string? Problem)> FindGroupsAsync(Caller caller, string? prefix, CancellationToken cancellationToken) =>
        Found(await accounts.SearchGroupsAsync(caller, prefix, null, cancellationToken));

    public async Task<string?> AddGroupAsync(Caller caller, FoundGroup group, CancellationToken cancellationToken) =>
        (await accounts.AddGroupAsync(caller, group.Ticket, cancellationToken)).Problem;

    private static (IReadOnlyList<T>, string?) Found<T>(DirectoryOutcome<IReadOnlyList<T>> outcome) =>
        (outcome.Value ?? [], outcome.Value is { Count: 0 } ? "the directory has nobody by that name" : outcome.Problem);
}
