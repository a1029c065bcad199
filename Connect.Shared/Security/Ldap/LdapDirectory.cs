using System.Diagnostics;
using System.DirectoryServices.Protocols;
using System.Net;
using Connect.Shared.Configuration;
using Microsoft.Extensions.Logging;

namespace Connect.Shared.Security.Ldap;

/// <summary>A person the directory knows: her entry, her stable id and her groups.</summary>
public sealed record DirectoryPerson(string DistinguishedName, string UniqueId, string Username, string? Email, IReadOnlyList<string> Groups);

/// <summary>What a sign-in against the directory came to.</summary>
public enum DirectoryVerdict
{
    SignedIn,
    WrongCredentials,
    Unreachable,
}

/// <summary>
/// The <c>[LDAP "NAME"]</c> directory, through System.DirectoryServices.Protocols (OpenLDAP's libldap underneath):
/// search for the user with the service account, then bind as her with her password; her groups are searched too.
/// TLS (LDAPS or StartTLS) checks the server's certificate against <c>TLSCACertificate</c> or the system's store, and a
/// certificate that does not check out fails the connection. Every value put in a filter is escaped.
/// </summary>
public sealed partial class LdapDirectory(LdapOptions options, ILogger<LdapDirectory> logger)
{
    public const string Provider = "ldap";

    /// <summary>Whether her groups are read from this directory (<c>GroupSearchBaseDN</c> is set).</summary>
    public bool ReadsGroups => options.GroupSearchBaseDN is not null;

    private const int ServerDown = 81;
    private const int Timeout = 85;
    private const int ConnectError = 91;

    /// <summary>The most groups read for one person (a directory's own size limit is usually lower).</summary>
    private const int MaxGroups = 1000;

    /// <summary>The most calls that wait on this directory at once.</summary>
    private const int MaxInFlight = 8;

    private readonly SemaphoreSlim _inFlight = new(MaxInFlight, MaxInFlight);

    /// <summary>Until when (<see cref="Stopwatch"/> ticks) the directory is taken to be away after failing to answer.</summary>
    private long _awayUntil;

    /// <summary>Checks a user name and password; the person when they are right.</summary>
    public async Task<(DirectoryVerdict Verdict, DirectoryPerson? Person)> SignInAsync(string username, string password, CancellationToken cancellationToken)
    {
        // An empty password is an "unauthenticated bind", which many directories accept for anyone: never a sign-in.
        if (username.Length == 0 || password.Length == 0)
        {
            return (DirectoryVerdict.WrongCredentials, null);
        }

        return await AskAsync<(DirectoryVerdict, DirectoryPerson?)>(service =>
        {
            var person = FindPerson(service, LdapFilter.And(options.UserFilter, options.UsernameAttribute, username));
            if (person is null)
            {
                return (DirectoryVerdict.WrongCredentials, null);
            }

            using (var asHer = Open(bindAsService: false))
            {
                try
                {
                    asHer.Bind(new NetworkCredential(person.DistinguishedName, password));
                }
                catch (LdapException e) when (e.ErrorCode == 49)
                {
                    // 49: invalid credentials.
                    return (DirectoryVerdict.WrongCredentials, null);
                }
            }

            return (DirectoryVerdict.SignedIn, person with { Groups = GroupsOf(service, person) });
        }, (DirectoryVerdict.Unreachable, null), cancellationToken);
    }

    /// <summary>Whether the directory still has the person of <paramref name="uniqueId"/>; null when it cannot be asked.</summary>
    public Task<bool?> StillHasAsync(string uniqueId, CancellationToken cancellationToken) =>
        AskAsync<bool?>(service => FindPerson(service, LdapFilter.UniqueId(options.UserFilter, options.UniqueIdAttribute, uniqueId)) is not null, null, cancellationToken);

    /// <summary>
    /// People whose user name starts with <paramref name="prefix"/> (any case, as the directory compares names), at
    /// most <paramref name="limit"/>, for adding them here before their first sign-in; null when the directory cannot
    /// be asked.
    /// </summary>
    public Task<IReadOnlyList<DirectoryPerson>?> SearchPeopleAsync(string prefix, int limit, CancellationToken cancellationToken) =>
        AskAsync<IReadOnlyList<DirectoryPerson>?>(service =>
            Search(service, options.UserSearchBaseDN!, LdapFilter.StartsWith(options.UserFilter, options.UsernameAttribute, prefix), limit, PersonAttributes)
                .Select(Person).OfType<DirectoryPerson>().ToList(), null, cancellationToken);

    /// <summary>Names of groups that start with <paramref name="prefix"/>, at most <paramref name="limit"/> (none when groups are not read); null when the directory cannot be asked.</summary>
    public Task<IReadOnlyList<string>?> SearchGroupsAsync(string prefix, int limit, CancellationToken cancellationToken) =>
        options.GroupSearchBaseDN is not { } groupBase
            ? Task.FromResult<IReadOnlyList<string>?>([])
            : AskAsync<IReadOnlyList<string>?>(service =>
                GroupNames(Search(service, groupBase, LdapFilter.StartsWith(options.GroupFilter, options.GroupNameAttribute, prefix), limit, options.GroupNameAttribute)),
                null, cancellationToken);

    /// <summary>
    /// One question to the directory as the service account, within the deadline; <paramref name="unanswered"/> when it
    /// cannot be asked. The library's calls block a thread each, so a directory that hangs must not take the node's
    /// threads with it: at most <see cref="MaxInFlight"/> calls wait on it at once, and once it has failed to answer it
    /// is not asked again for its <c>Timeout</c> (callers hear at once that it is away).
    /// </summary>
    private async Task<T> AskAsync<T>(Func<LdapConnection, T> question, T unanswered, CancellationToken cancellationToken)
    {
        if (Stopwatch.GetTimestamp() < Interlocked.Read(ref _awayUntil))
        {
            return unanswered;
        }

        if (!await _inFlight.WaitAsync(options.Timeout, cancellationToken))
        {
            LogBusy(logger, options.ServerAddress ?? "", MaxInFlight);
            return unanswered;
        }

        EnsureTimeouts();
        // Not cancellable once started: the slot is given back when the library's call returns, however late.
        var call = Task.Run(() =>
        {
            try
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var service = Open(bindAsService: true);
                    return question(service);
                }
                catch (LdapException e) when (e.ErrorCode is ServerDown or ConnectError && Stopwatch.GetElapsedTime(started) < options.Timeout / 2)
                {
                    // A connection refused or dropped at once (a directory restarting, a balancer in front of it
                    // resetting): asked once more before the caller is told it is away. One that took its time is not.
                    using var service = Open(bindAsService: true);
                    return question(service);
                }
            }
            finally
            {
                _inFlight.Release();
            }
        }, CancellationToken.None);
        try
        {
            return await call.WaitAsync(Deadline, cancellationToken);
        }
        catch (Exception e) when (e is LdapException or DirectoryOperationException or TimeoutException)
        {
            Interlocked.Exchange(ref _awayUntil, Stopwatch.GetTimestamp() + (long)(options.Timeout.TotalSeconds * Stopwatch.Frequency));
            LogUnreachable(logger, options.ServerAddress ?? "", e.Message);
            return unanswered;
        }
    }

    /// <summary>
    /// How long one sign-in or check may take in all (a few calls, each within <c>Timeout</c>): past it the caller is
    /// answered even if a call is still stuck in the library.
    /// </summary>
    private TimeSpan Deadline => options.Timeout * 4;

    private void EnsureTimeouts()
    {
        if (!LibLdapTimeouts.Apply(options.Timeout))
        {
            LogNoTimeouts(logger);
        }
    }

    private LdapConnection Open(bool bindAsService)
    {
        // Checked at start (SignInProviderChecks): host:port with a host.
        ListenAddress.TryParse(options.ServerAddress!, out var server);
        var connection = new LdapConnection(new LdapDirectoryIdentifier(server.Host, server.Port))
        {
            AuthType = AuthType.Basic,
            Timeout = options.Timeout,
            AutoBind = false,
        };
        try
        {
            connection.SessionOptions.ProtocolVersion = 3;
            connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
            if (options.TLS || options.StartTLS)
            {
                if (options.TLSCACertificate is { } ca)
                {
                    // libldap reads trusted authorities from a folder; give it one holding only the configured file.
                    connection.SessionOptions.TrustedCertificatesDirectory = TrustedFolder.For(ca);
                }

                // A fresh TLS context, so the trust settings above are the ones this connection uses.
                connection.SessionOptions.StartNewTlsSessionContext();
                if (options.TLS)
                {
                    connection.SessionOptions.SecureSocketLayer = true;
                }
                else
                {
                    // On Linux the client gives libldap the server's address only at the first bind, so StartTLS before
                    // one finds no server. An anonymous bind comes first: it carries no secret, and a directory that
                    // refuses it has still been reached.
                    try
                    {
                        connection.Bind(new NetworkCredential("", ""));
                    }
                    catch (LdapException e) when (e.ErrorCode is not (ServerDown or ConnectError or Timeout))
                    {
                    }

                    connection.SessionOptions.StartTransportLayerSecurity(null);
                }
            }

            if (bindAsService)
            {
                connection.Bind(options.AnonymousBind || string.IsNullOrEmpty(options.BindDN)
                    ? new NetworkCredential("", "")
                    : new NetworkCredential(options.BindDN, options.BindPassword));
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private string[] PersonAttributes => [options.UsernameAttribute, options.UniqueIdAttribute, options.UserEmailAttribute];

    private DirectoryPerson? FindPerson(LdapConnection connection, string filter)
    {
        var entries = Search(connection, options.UserSearchBaseDN!, filter, 2, PersonAttributes);
        // Exactly one entry, or nobody: two entries for one name is a directory nobody should guess within.
        return entries.Count == 1 ? Person(entries[0]) : null;
    }

    private DirectoryPerson? Person(SearchResultEntry entry)
    {
        var uniqueId = LdapFilter.IsBinaryGuid(options.UniqueIdAttribute) ? BinaryGuid(entry, options.UniqueIdAttribute) : Text(entry, options.UniqueIdAttribute);
        var username = Text(entry, options.UsernameAttribute);
        return uniqueId is null || username is null ? null : new DirectoryPerson(entry.DistinguishedName, uniqueId, username, Text(entry, options.UserEmailAttribute), []);
    }

    private List<string> GroupNames(IEnumerable<SearchResultEntry> groups) =>
        groups.Select(e => Text(e, options.GroupNameAttribute)).OfType<string>().ToList();

    /// <summary>At most <paramref name="limit"/> entries; more matching is no error, the first ones are kept.</summary>
    private static List<SearchResultEntry> Search(LdapConnection connection, string baseDn, string filter, int limit, params string[] attributes)
    {
        SearchResponse response;
        try
        {
            response = (SearchResponse)connection.SendRequest(new SearchRequest(baseDn, filter, SearchScope.Subtree, attributes) { SizeLimit = limit });
        }
        catch (DirectoryOperationException e) when (e.Response is SearchResponse { ResultCode: ResultCode.SizeLimitExceeded } partial)
        {
            response = partial;
        }

        return response.Entries.Cast<SearchResultEntry>().ToList();
    }

    private IReadOnlyList<string> GroupsOf(LdapConnection connection, DirectoryPerson person)
    {
        if (options.GroupSearchBaseDN is not { } groupBase)
        {
            return [];
        }

        var member = options.MembersByName ? person.Username : person.DistinguishedName;
        return GroupNames(Search(connection, groupBase, LdapFilter.And(options.GroupFilter, options.GroupMemberAttribute, member), MaxGroups, options.GroupNameAttribute));
    }

    /// <summary>An attribute's first value as text; a binary one (AD's <c>objectGUID</c>) as its GUID or hex.</summary>
    private static string? Text(SearchResultEntry entry, string attribute)
    {
        if (!entry.Attributes.Contains(attribute) || entry.Attributes[attribute].Count == 0)
        {
            return null;
        }

        return entry.Attributes[attribute][0] switch
        {
            string s => s,
            byte[] bytes => Convert.ToHexString(bytes),
            var other => other.ToString(),
        };
    }

    /// <summary>
    /// A binary GUID attribute as the GUID's text, read as bytes: the client hands a value over as text whenever its
    /// bytes happen to be valid UTF-8, which a GUID's sometimes are.
    /// </summary>
    private static string? BinaryGuid(SearchResultEntry entry, string attribute) =>
        entry.Attributes.Contains(attribute) && entry.Attributes[attribute].GetValues(typeof(byte[])) is [byte[] { Length: 16 } bytes, ..]
            ? new Guid(bytes).ToString()
            : null;

    [LoggerMessage(EventId = 1622, Level = LogLevel.Warning, Message = "OpenLDAP's library was not found to give it a timeout: a directory that stops answering holds a thread per sign-in until it answers")]
    private static partial void LogNoTimeouts(ILogger logger);

    [LoggerMessage(EventId = 1620, Level = LogLevel.Warning, Message = "The LDAP directory at {Address} did not answer: {Problem}")]
    private static partial void LogUnreachable(ILogger logger, string address, string problem);

    [LoggerMessage(EventId = 1623, Level = LogLevel.Warning, Message = "The LDAP directory at {Address} already has {Count} calls waiting on it; another is not added")]
    private static partial void LogBusy(ILogger logger, string address, int count);

    /// <summary>A private folder holding only the configured authorities' file, for libldap's trust folder.</summary>
    private static class TrustedFolder
    {
        private static readonly Lock Gate = new();
        private static readonly Dictionary<string, string> Folders = [];

        public static string For(string caFile)
        {
            lock (Gate)
            {
                if (!Folders.TryGetValue(caFile, out var folder))
                {
                    folder = Directory.CreateTempSubdirectory("connect-ldap-ca.").FullName;
                    File.Copy(caFile, Path.Combine(folder, "ca.pem"));
                    Folders[caFile] = folder;
                }

                return folder;
            }
        }
    }
}
