using Connect.Shared.Configuration;
using Connect.Shared.Users;
using Microsoft.Extensions.Logging;

namespace Connect.Shared.Security.Ldap;

/// <summary>
/// <c>[Authentication] Provider = ldap</c>: the sign-in form's name and password are checked by the directory, and the
/// directory's users and groups become users and groups here. A directory user's API keys are checked against the
/// directory every <c>UserCheckInterval</c>: once she is gone from it she is locked, and her keys and sessions stop.
/// Several <c>[LDAP "NAME"]</c> sections are asked in the order the configuration gives them, as the product does:
/// replicas that stand in for each other when one is down, or directories of different domains.
/// </summary>
public sealed partial class LdapSignIn
{
    private readonly IReadOnlyList<LdapDirectory> _directories;
    private readonly ProviderUsers _providers;
    private readonly UserRepository _users;
    private readonly TimeProvider _clock;
    private readonly ILogger<LdapSignIn> _logger;

    /// <summary>How often a key's owner is asked about: the shortest of the sections' <c>UserCheckInterval</c>.</summary>
    private readonly TimeSpan _checkInterval;

    /// <summary>Until when (UTC ticks) the directories are taken to be away: no key waits on them meanwhile.</summary>
    private long _awayUntil;

    public LdapSignIn(ConnectOptions options, ProviderUsers providers, UserRepository users, TimeProvider clock, ILoggerFactory loggers)
    {
        _directories = options.Authentication.Provider == SignInOptions.Ldap
            ? options.LDAP.Values.Select(o => new LdapDirectory(o, loggers.CreateLogger<LdapDirectory>())).ToList()
            : [];
        _checkInterval = options.LDAP.Values.Select(o => o.UserCheckInterval).DefaultIfEmpty(TimeSpan.FromMinutes(5)).Min();
        if (_directories.Count > 1)
        {
            // The library's timeouts are one per process, set by whoever asks first: the longest section's, so no
            // directory is cut short (each caller still gets its answer within its own section's deadline).
            LibLdapTimeouts.Apply(options.LDAP.Values.Max(o => o.Timeout));
        }
        _providers = providers;
        _users = users;
        _clock = clock;
        _logger = loggers.CreateLogger<LdapSignIn>();
    }

    /// <summary>Whether a directory decides who signs in.</summary>
    public bool Enabled => _directories.Count > 0;

    /// <summary>
    /// The user a directory signs in, or what to tell her. The first directory that knows her name and password
    /// decides; one that cannot be reached is passed over, but when no directory signs her in and one was away, she is
    /// told the directory is away (it may be the one that has her), not that her password is wrong.
    /// </summary>
    public async Task<ProviderSignIn> SignInAsync(string username, string password, CancellationToken cancellationToken)
    {
        var away = false;
        foreach (var directory in _directories)
        {
            var (verdict, person) = await directory.SignInAsync(username.Trim(), password, cancellationToken);
            switch (verdict)
            {
                case DirectoryVerdict.SignedIn:
                    return await _providers.SignInAsync(
                        new ProviderIdentity(LdapDirectory.Provider, person!.UniqueId, person.Username, person.Email, person.Groups, ProvisionGroups: directory.ReadsGroups),
                        cancellationToken);
                case DirectoryVerdict.Unreachable:
                    away = true;
                    break;
            }
        }

        return away
            ? new ProviderSignIn(null, "The directory cannot be reached just now. Try again in a minute.", ProviderDown: true)
            : new ProviderSignIn(null, "The user name or password is wrong.");
    }

    /// <summary>
    /// The owner of an API key, after a directory still vouches for her (asked at most every <c>UserCheckInterval</c>,
    /// the time kept in the database so every node shares it). Gone from every directory: locked, and null. A
    /// directory away or hung while none vouches: what was known holds, and this node does not ask again for an interval.
    /// </summary>
    public async Task<User?> StillVouchedAsync(User? user, CancellationToken cancellationToken)
    {
        if (!Enabled || user is not { Provider: LdapDirectory.Provider, UniqueId: { } uniqueId, Locked: false })
        {
            return user;
        }

        var now = _clock.GetUtcNow();
        if (now.UtcTicks < Interlocked.Read(ref _awayUntil) || user.CheckedAt is { } checkedAt && now - checkedAt < _checkInterval)
        {
            return user;
        }

        var away = false;
        foreach (var directory in _directories)
        {
            switch (await directory.StillHasAsync(uniqueId, cancellationToken))
            {
                case true:
                    await _users.MarkCheckedAsync(user.Id, cancellationToken);
                    return user;
                case null:
                    away = true;
                    break;
            }
        }

        if (away)
        {
            // Away or hung: asked again only after another interval, so a hung directory (each ask waits up to its
            // Timeout) does not hold every key of its users.
            Interlocked.Exchange(ref _awayUntil, (now + _checkInterval).UtcTicks);
            return user;
        }

        await _users.SetLockedAsync(user.Id, true, cancellationToken);
        LogGone(_logger, user.Username);
        return null;
    }

    /// <summary>People whose user name starts with <paramref name="prefix"/> in every directory that answers (each once); null when none answers.</summary>
    public Task<IReadOnlyList<DirectoryPerson>?> SearchPeopleAsync(string prefix, int limit, CancellationToken cancellationToken) =>
        FromEveryDirectoryAsync(d => d.SearchPeopleAsync(prefix, limit, cancellationToken), p => p.UniqueId, limit);

    /// <summary>Group names that start with <paramref name="prefix"/> in every directory that answers (each once); null when none answers.</summary>
    public Task<IReadOnlyList<string>?> SearchGroupsAsync(string prefix, int limit, CancellationToken cancellationToken) =>
        FromEveryDirectoryAsync(d => d.SearchGroupsAsync(prefix, limit, cancellationToken), name => name, limit);

    /// <summary>One search asked of every directory at once, the answers joined (each one once, by <paramref name="key"/>); null when none answers.</summary>
    private async Task<IReadOnlyList<T>?> FromEveryDirectoryAsync<T>(Func<LdapDirectory, Task<IReadOnlyList<T>?>> search, Func<T, string> key, int limit)
    {
        var answers = await Task.WhenAll(_directories.Select(search));
        return answers.All(a => a is null) ? null : answers.OfType<IReadOnlyList<T>>().SelectMany(a => a).DistinctBy(key, StringComparer.Ordinal).Take(limit).ToList();
    }

    [LoggerMessage(EventId = 1621, Level = LogLevel.Warning, Message = "Locked {Username}: no LDAP directory has her any longer; her API keys and sessions stop")]
    private static partial void LogGone(ILogger logger, string username);
}
