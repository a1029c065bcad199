using Connect.Shared.Configuration;
using Connect.Shared.Users;
using Microsoft.Extensions.Logging;

namespace Connect.Shared.Security;

/// <summary>Who a sign-in provider says signed in.</summary>
/// <param name="Provider"><c>ldap</c>, <c>oauth2</c> or <c>proxy</c>.</param>
/// <param name="UniqueId">The provider's id of her that never changes (an LDAP entry's UUID, an OpenID subject).</param>
/// <param name="Groups">Her groups at the provider (for role mappings, and as groups here when <paramref name="ProvisionGroups"/>).</param>
public sealed record ProviderIdentity(string Provider, string UniqueId, string Username, string? Email, IReadOnlyList<string> Groups, bool ProvisionGroups);

/// <summary>The user a provider's sign-in gives, or why there is none (<paramref name="ProviderDown"/>: it could not be asked).</summary>
public sealed record ProviderSignIn(User? User, string? Problem, bool ProviderDown = false);

/// <summary>
/// Users a sign-in provider vouches for: found by the provider's stable id (not by name, which can change or be
/// reused), made on first sign-in with <c>Authorization.DefaultUserRole</c>, her role following her provider groups
/// while a mapping names them, and her membership of the provider's groups made what the provider says.
/// </summary>
public sealed partial class ProviderUsers(UserRepository users, GroupRepository groups, ConnectOptions options, ILogger<ProviderUsers> logger)
{
    public async Task<ProviderSignIn> SignInAsync(ProviderIdentity who, CancellationToken cancellationToken)
    {
        if (UserRepository.ValidateUsername(who.Username) is { } problem)
        {
            return new ProviderSignIn(null, $"the sign-in provider named a user this server cannot have: {problem}");
        }

        var mapped = RoleFor(who.Groups);
        var user = await users.FindByProviderAsync(who.Provider, who.UniqueId, cancellationToken);
        if (user is null)
        {
            var role = mapped ?? Enum.Parse<UserRole>(options.Authorization.DefaultUserRole, ignoreCase: true);
            var added = await users.AddFromProviderAsync(who.Username, role, who.Email, who.Provider, who.UniqueId, cancellationToken);
            // Two nodes may make her at once: the second finds her made.
            user = added.User ?? await users.FindByProviderAsync(who.Provider, who.UniqueId, cancellationToken);
            if (user is null)
            {
                // The name belongs to someone else here (a local account, or another provider's user): never hand it over.
                LogNameTaken(logger, who.Username, who.Provider);
                return new ProviderSignIn(null, $"the user name {who.Username} belongs to another account on this server; ask an administrator");
            }
        }
        else
        {
            if (user.Username != who.Username && await users.RenameAsync(user.Id, who.Username, cancellationToken))
            {
                user = user with { Username = who.Username };
            }

            if (mapped is { } role && role != user.Role)
            {
                await users.SetRoleAsync(user.Id, role, cancellationToken);
                user = user with { Role = role };
            }

            if (who.Email is { } email && email != user.Email)
            {
                await users.SetEmailAsync(user.Id, email, cancellationToken);
            }

            await users.MarkCheckedAsync(user.Id, cancellationToken);
        }

        if (user.Locked)
        {
            return new ProviderSignIn(null, "this account is locked; ask an administrator to unlock it");
        }

        if (who.ProvisionGroups)
        {
            foreach (var skipped in await groups.SyncProviderMembershipAsync(user.Id, who.Provider, who.Groups, cancellationToken))
            {
                LogLocalGroup(logger, skipped, who.Provider);
            }
        }

        return new ProviderSignIn(user, null);
    }

    /// <summary>The role <paramref name="groups"/> give (administrator before publisher), or null when no mapping names one of them.</summary>
    public UserRole? RoleFor(IReadOnlyList<string> groups)
    {
        static bool Named(string? mapping, IReadOnlyList<string> groups) =>
            mapping is not null && mapping.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Any(g => groups.Contains(g, StringComparer.OrdinalIgnoreCase));

        return Named(options.Authorization.AdministratorRoleMapping, groups) ? UserRole.Administrator
            : Named(options.Authorization.PublisherRoleMapping, groups) ? UserRole.Publisher
            : null;
    }

    [LoggerMessage(EventId = 1610, Level = LogLevel.Warning, Message = "Refused a sign-in through {Provider}: the user name {Username} belongs to another account here")]
    private static partial void LogNameTaken(ILogger logger, string username, string provider);

    [LoggerMessage(EventId = 1611, Level = LogLevel.Warning, Message = "The group {Group} from {Provider} has the name of a group made here; its membership is not taken from the provider")]
    private static partial void LogLocalGroup(ILogger logger, string group, string provider);
}
