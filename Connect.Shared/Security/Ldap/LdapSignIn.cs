using Connect.Shared.Configuration;
using Connect.Shared.Users;
using Microsoft.Extensions.Logging;

namespace Connect.Shared.Security.Ldap;

/// <summary>
/// <c>[Authentication] Provider = ldap</c>: the sign-in form's name and password are checked by the directory, and the
/// directory's users and groups become users and groups here. A directory user's API keys are checked against the
/// directory every <c>UserCheckInterval</c>: once she is gone from it she is locked, and her keys and sessions stop.
/// </summary>
public sealed partial class LdapSignIn
{
    private readonly LdapDirectory? _directory;
    private readonly LdapOptions? _options;
    private readonly ProviderUsers _providers;
    private readonly UserRepository _users;
    private readonly TimeProvider _clock;
    private readonly ILogger<LdapSignIn> _logger;

    /// <summary>Until when (UTC ticks) the directory is taken to be away: no key waits on it meanwhile.</summary>
    private long _awayUntil;

    public LdapSignIn(ConnectOptions options, ProviderUsers providers, UserRepository users, TimeProvider clock, ILoggerFactory loggers)
    {
        if (options.Authentication.Provider == SignInOptions.Ldap && options.LDAP.Count == 1)
        {
            _options = options.LDAP.Single().Value;
            _directory = new LdapDirectory(_options, loggers.CreateLogger<LdapDirectory>());
        }

        _providers = providers;
        _users = users;
        _clock = clock;
        _logger = loggers.CreateLogger<LdapSignIn>();
    }

    /// <summary>The directory, when <c>Authentication.Provider = ldap</c>; else null.</summary>
    public LdapDirectory? Directory => _directory;

    /// <summary>The user the directory signs in, or what to tell her.</summary>
    public async Task<ProviderSignIn> SignInAsync(string username, string password, CancellationToken cancellationToken)
    {
        var (verdict, person) = await _directory!.SignInAsync(username.Trim(), password, cancellationToken);
        return verdict switch
        {
            DirectoryVerdict.Unreachable => new ProviderSignIn(null, "The directory cannot be reached just now. Try again in a minute.", ProviderDown: true),
            DirectoryVerdict.WrongCredentials => new ProviderSignIn(null, "The user name or password is wrong."),
            _ => await _providers.SignInAsync(
                new ProviderIdentity(LdapDirectory.Provider, person!.UniqueId, person.Username, person.Email, person.Groups, ProvisionGroups: _options!.GroupSearchBaseDN is not null),
                cancellationToken),
        };
    }

    /// <summary>
    /// The owner of an API key, after the directory still vouches for her (asked at most every <c>UserCheckInterval</c>,
    /// the time kept in the database so every node shares it). Gone from the directory: locked, and null. The
    /// directory away or hung: what was known holds, and this node does not ask again for an interval.
    /// </summary>
    public async Task<User?> StillVouchedAsync(User? user, CancellationToken cancellationToken)
    {
        if (_directory is null || user is not { Provider: LdapDirectory.Provider, UniqueId: { } uniqueId, Locked: false })
        {
            return user;
        }

        var now = _clock.GetUtcNow();
        if (now.UtcTicks < Interlocked.Read(ref _awayUntil)
            || user.CheckedAt is { } checkedAt && now - checkedAt < _options!.UserCheckInterval)
        {
            return user;
        }

        switch (await _directory.StillHasAsync(uniqueId, cancellationToken))
        {
            case false:
                await _users.SetLockedAsync(user.Id, true, cancellationToken);
                LogGone(_logger, user.Username);
                return null;
            case true:
                await _users.MarkCheckedAsync(user.Id, cancellationToken);
                return user;
            default:
                // Away or hung: asked again only after another interval, so a hung directory (each ask waits up to its
                // Timeout) does not hold every key of its users.
                Interlocked.Exchange(ref _awayUntil, (now + _options!.UserCheckInterval).UtcTicks);
                return user;
        }
    }

    [LoggerMessage(EventId = 1621, Level = LogLevel.Warning, Message = "Locked {Username}: the LDAP directory no longer has her; her API keys and sessions stop")]
    private static partial void LogGone(ILogger logger, string username);
}
