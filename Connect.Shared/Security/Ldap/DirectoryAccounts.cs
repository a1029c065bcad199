using Connect.Shared.Access;
using Connect.Shared.Configuration;
using Connect.Shared.Users;

namespace Connect.Shared.Security.Ldap;

/// <summary>A person the directory has, the user she already is here (if any), and the ticket that adds her.</summary>
public sealed record FoundPerson(DirectoryPerson Person, User? Here, string Ticket);

/// <summary>A directory group, the group it already is here (if any), and the ticket that adds it.</summary>
public sealed record FoundGroup(string Name, UserGroup? Here, string Ticket);

/// <summary>Why a directory search or addition came to nothing.</summary>
public enum DirectoryRefusal
{
    None,

    /// <summary>The caller may not add people (only publishers and administrators).</summary>
    Denied,

    /// <summary>The sign-in provider is not LDAP: people and groups come at their first sign-in.</summary>
    NotLdap,

    /// <summary>A limit out of range.</summary>
    BadLimit,

    /// <summary>The directory cannot be reached just now.</summary>
    Down,

    /// <summary>A ticket this cluster did not issue within the hour, or of the other kind.</summary>
    BadTicket,

    /// <summary>A local account or group has the name.</summary>
    NameTaken,
}

/// <summary>What a search or an addition gave, or why it gave nothing (with words for the caller).</summary>
public sealed record DirectoryOutcome<T>(T? Value, DirectoryRefusal Refusal = DirectoryRefusal.None, string? Problem = null)
{
    public static DirectoryOutcome<T> Refused(DirectoryRefusal refusal, string problem) => new(default, refusal, problem);
}

/// <summary>
/// Adding the directory's people and groups before they sign in, as the product's remote creation does: search the
/// directory, then add one by the search's sealed ticket, so an item can be shared with a colleague or a directory
/// group at once. What is added is what the directory said. Used by the API and the dashboard alike.
/// </summary>
public sealed class DirectoryAccounts(LdapSignIn ldap, RemoteTickets tickets, UserRepository users, GroupRepository groups, ConnectOptions options)
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 500;

    /// <summary>Whether there is a directory to search (<c>Authentication.Provider = ldap</c>).</summary>
    public bool Available => ldap.Enabled;

    public async Task<DirectoryOutcome<IReadOnlyList<FoundPerson>>> SearchPeopleAsync(Caller caller, string? prefix, int? limit, CancellationToken cancellationToken)
    {
        if (Refusal<IReadOnlyList<FoundPerson>>(caller, limit) is { } refused)
        {
            return refused;
        }

        if (await ldap.SearchPeopleAsync(prefix?.Trim() ?? "", limit ?? DefaultLimit, cancellationToken) is not { } people)
        {
            return Down<IReadOnlyList<FoundPerson>>();
        }

        // Who of them is here already, in one read (as for groups) rather than a query per person found.
        var here = (await users.ListAsync(cancellationToken)).Where(u => u.Provider == LdapDirectory.Provider && u.UniqueId is not null)
            .ToDictionary(u => u.UniqueId!, StringComparer.Ordinal);
        return new(people.Where(p => UserRepository.ValidateUsername(p.Username) is null)
            .Select(person => new FoundPerson(person, here.GetValueOrDefault(person.UniqueId),
                tickets.Issue(new RemoteAccount(RemoteTickets.User, LdapDirectory.Provider, person.Username, person.UniqueId, person.Email))))
            .ToList());
    }

    public async Task<DirectoryOutcome<IReadOnlyList<FoundGroup>>> SearchGroupsAsync(Caller caller, string? prefix, int? limit, CancellationToken cancellationToken)
    {
        if (Refusal<IReadOnlyList<FoundGroup>>(caller, limit) is { } refused)
        {
            return refused;
        }

        if (await ldap.SearchGroupsAsync(prefix?.Trim() ?? "", limit ?? DefaultLimit, cancellationToken) is not { } names)
        {
            return Down<IReadOnlyList<FoundGroup>>();
        }

        var here = (await groups.ListAsync(cancellationToken)).Where(g => g.Provider == LdapDirectory.Provider).ToDictionary(g => g.Name, StringComparer.Ordinal);
        return new(names.Where(GroupRepository.IsProviderName).Distinct(StringComparer.Ordinal)
            .Select(name => new FoundGroup(name, here.GetValueOrDefault(name), tickets.Issue(new RemoteAccount(RemoteTickets.Group, LdapDirectory.Provider, name, null, null))))
            .ToList());
    }

    /// <summary>The user a ticket names, added with <c>Authorization.DefaultUserRole</c> unless she is here already.</summary>
    public async Task<DirectoryOutcome<User>> AddUserAsync(Caller caller, string? ticket, CancellationToken cancellationToken)
    {
        if (!caller.CanPublish)
        {
            return DirectoryOutcome<User>.Refused(DirectoryRefusal.Denied, Denied);
        }

        if (tickets.Open(ticket, RemoteTickets.User) is not { UniqueId: { } uniqueId } account)
        {
            return DirectoryOutcome<User>.Refused(DirectoryRefusal.BadTicket, BadTicket("users"));
        }

        if (await users.FindByProviderAsync(account.Provider, uniqueId, cancellationToken) is { } known)
        {
            return new(known);
        }

        var role = Enum.Parse<UserRole>(options.Authorization.DefaultUserRole, ignoreCase: true);
        var added = await users.AddFromProviderAsync(account.Name, role, account.Email, account.Provider, uniqueId, cancellationToken);
        // Two callers may add her at once: the second finds her added.
        return (added.User ?? await users.FindByProviderAsync(account.Provider, uniqueId, cancellationToken)) is { } user
            ? new(user)
            : DirectoryOutcome<User>.Refused(DirectoryRefusal.NameTaken, $"the user name {account.Name} belongs to another account on this server");
    }

    /// <summary>The group a ticket names, made here with no members yet (they join at their sign-ins) unless it is here already.</summary>
    public async Task<DirectoryOutcome<UserGroup>> AddGroupAsync(Caller caller, string? ticket, CancellationToken cancellationToken) =>
        !caller.CanPublish ? DirectoryOutcome<UserGroup>.Refused(DirectoryRefusal.Denied, Denied)
        : tickets.Open(ticket, RemoteTickets.Group) is not { } account ? DirectoryOutcome<UserGroup>.Refused(DirectoryRefusal.BadTicket, BadTicket("groups"))
        : await groups.AddFromProviderAsync(account.Name, account.Provider, cancellationToken) is { } group ? new(group)
        : DirectoryOutcome<UserGroup>.Refused(DirectoryRefusal.NameTaken, $"a group made here is named '{account.Name}'");

    private const string Denied = "only publishers and administrators may add people and groups from the directory";

    private DirectoryOutcome<T>? Refusal<T>(Caller caller, int? limit) =>
        !caller.CanPublish ? DirectoryOutcome<T>.Refused(DirectoryRefusal.Denied, Denied)
        : !Available ? DirectoryOutcome<T>.Refused(DirectoryRefusal.NotLdap,
            "remote users and groups are searched only with Authentication.Provider = ldap; with other providers they are added at their first sign-in")
        : limit is < 1 or > MaxLimit ? DirectoryOutcome<T>.Refused(DirectoryRefusal.BadLimit, $"limit must be from 1 to {MaxLimit}")
        : null;

    private static DirectoryOutcome<T> Down<T>() =>
        DirectoryOutcome<T>.Refused(DirectoryRefusal.Down, "the directory cannot be reached just now; try again in a minute");

    private static string BadTicket(string what) =>
        $"send {{\"temp_ticket\": ...}} with a ticket from GET /__api__/v1/{what}/remote made within the hour";
}
