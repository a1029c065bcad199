using Connect.Shared.Data;
using System.Security.Claims;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Connect.Shared.Security;

/// <summary>
/// The signed-in session: an ASP.NET Core authentication cookie protected with the cluster's Data
/// Protection key ring, so a session made on one node (or the admin console) is accepted by every
/// other. Each request re-checks the user (at most <see cref="UserCache.Freshness"/> old), so locking a
/// user or changing their role takes effect on every node within that time.
/// </summary>
public static class Sessions
{
    /// <summary>The authentication scheme (and so the Data Protection purpose) every process shares.</summary>
    public const string Scheme = "Session";

    public const string CookieName = "connect_session";

    public const string UserIdClaim = "connect:user_id";

    public const string UserGuidClaim = "connect:user_guid";

    /// <summary>How long a session lasts without use; each use within it extends it.</summary>
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromHours(8);

    public static ClaimsPrincipal Principal(User user, string scheme) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.Name, user.Username),
            new Claim(UserIdClaim, user.Id.ToString()),
            new Claim(UserGuidClaim, user.Guid),
            new Claim(ClaimTypes.Role, user.Role.ToString()),
        ],
        scheme));

    /// <summary>The sign-in providers' users and the directory (each once), for the node, the dashboard and their tests.</summary>
    public static IServiceCollection AddSignInProviders(this IServiceCollection services)
    {
        services.TryAddSingleton<ProviderUsers>();
        services.TryAddSingleton<Ldap.LdapSignIn>();
        services.TryAddSingleton<RemoteTickets>();
        services.TryAddSingleton<Ldap.DirectoryAccounts>();
        return services;
    }

    /// <summary>Adds the session cookie; <paramref name="loginPath"/> is where browsers are sent to sign in.</summary>
    public static AuthenticationBuilder AddSessionCookie(this AuthenticationBuilder builder, string loginPath, Action<CookieAuthenticationOptions>? configure = null)
    {
        builder.Services.TryAddSingleton<DatabaseHealth>();
        builder.Services.AddSingleton<UserCache>();
        builder.Services.AddSignInProviders();
        return builder.AddCookie(Scheme, o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = "/";
            o.ExpireTimeSpan = IdleLifetime;
            o.SlidingExpiration = true;
            o.LoginPath = loginPath;
            o.ReturnUrlParameter = "url";
            o.Events.OnValidatePrincipal = ValidateAsync;
            configure?.Invoke(o);
        });
    }

    /// <summary>Refuses the session of a user who was locked or removed, and keeps its role current.</summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var cache = context.HttpContext.RequestServices.GetRequiredService<UserCache>();
        var user = long.TryParse(context.Principal?.FindFirstValue(UserIdClaim), out var id)
            ? await cache.UserAsync(id, context.HttpContext.RequestAborted)
            : null;
        if (user is null || user.Locked)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
            return;
        }

        if (context.Principal!.FindFirstValue(ClaimTypes.Role) != user.Role.ToString())
        {
            context.ReplacePrincipal(Principal(user, Scheme));
            context.ShouldRenew = true;
        }
    }
}

/// <summary>
/// Users and API keys as the database had them less than <see cref="Freshness"/> ago: a busy client
/// costs one lookup a second, and a revoked key or a locked user is refused by every node within it.
/// </summary>
public sealed class UserCache(UserRepository users, ApiKeyRepository keys, Ldap.LdapSignIn directory, TimeProvider clock, DatabaseHealth health)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromMilliseconds(500);

    // While the database is away nothing can be locked or revoked, so what was known still holds.
    private readonly LastAnswerCache<long, User?> _users = new(Freshness, clock, health);
    private readonly LastAnswerCache<string, User?> _keys = new(Freshness, clock, health);

    public Task<User?> UserAsync(long id, CancellationToken cancellationToken) =>
        _users.GetAsync(id, deadline => users.FindAsync(id, deadline), cancellationToken);

    /// <summary>The active user a key belongs to, or null (unknown, revoked, locked, gone from the directory).</summary>
    public Task<User?> KeyOwnerAsync(string key, CancellationToken cancellationToken) =>
        _keys.GetAsync(ApiKeyRepository.Hash(key), async deadline => await directory.StillVouchedAsync(await keys.FindUserAsync(key, deadline), deadline), cancellationToken);
}
