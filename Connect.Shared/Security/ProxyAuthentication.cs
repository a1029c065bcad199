using System.Net;
using System.Text.Encodings.Web;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Connect.Shared.Security;

/// <summary>
/// <c>[Authentication] Provider = proxy</c>: a proxy in front of the cluster signs people in and names them in
/// <c>ProxyAuth.UsernameHeader</c> (and their groups in <c>GroupsHeader</c>). The header is believed only on a
/// connection from an address in <c>LoadBalancing.TrustedProxies</c>; from anyone else it is removed and logged, so a
/// client that reaches a node directly cannot name itself. The API still takes API keys only.
/// </summary>
public static partial class ProxyAuthentication
{
    public const string Scheme = "Proxy";

    /// <summary>Set on a request whose connection comes from a trusted proxy (checked before forwarded headers).</summary>
    private const string TrustedPeerItem = "connect.proxy-peer";

    /// <summary>
    /// Marks requests from a trusted proxy and strips the user headers from any other. Runs before forwarded headers
    /// are applied: the connection's own address decides, not what a header claims.
    /// </summary>
    public static void UseProxyPeerCheck(this IApplicationBuilder app, ConnectOptions options)
    {
        if (options.Authentication.Provider != SignInOptions.Proxy)
        {
            return;
        }

        var trusted = TrustedProxies.Parse(options.LoadBalancing.TrustedProxies);
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ProxyAuthentication));
        var headers = new[] { options.ProxyAuth.UsernameHeader, options.ProxyAuth.GroupsHeader }.OfType<string>().ToList();
        app.Use(async (context, next) =>
        {
            var peer = context.Connection.RemoteIpAddress;
            if (TrustedProxies.Contains(trusted, peer))
            {
                context.Items[TrustedPeerItem] = true;
            }
            else if (headers.Any(h => context.Request.Headers.ContainsKey(h)))
            {
                LogUntrusted(logger, options.ProxyAuth.UsernameHeader, peer?.ToString() ?? "an unknown address");
                foreach (var header in headers)
                {
                    context.Request.Headers.Remove(header);
                }
            }

            await next(context);
        });
    }

    /// <summary>Whether this request is signed in by the proxy: the provider is the proxy, it came through it and names someone.</summary>
    public static bool Applies(HttpContext context, ConnectOptions options) =>
        options.Authentication.Provider == SignInOptions.Proxy && context.Items.ContainsKey(TrustedPeerItem)
        && context.Request.Headers[options.ProxyAuth.UsernameHeader].ToString().Trim().Length > 0;

    public static AuthenticationBuilder AddProxyAuthentication(this AuthenticationBuilder builder)
    {
        builder.Services.AddSingleton<ProxyUsers>();
        builder.Services.TryAddSingleton<ProviderUsers>();
        return builder.AddScheme<AuthenticationSchemeOptions, ProxyAuthenticationHandler>(Scheme, null);
    }

    [LoggerMessage(EventId = 1600, Level = LogLevel.Warning, Message = "Ignored the {Header} header from {Address}: only a proxy in LoadBalancing.TrustedProxies may name a user")]
    private static partial void LogUntrusted(ILogger logger, string header, string address);
}

/// <summary>The user a trusted proxy names, as claims: made on first sign-in, her role from her groups when a mapping says.</summary>
internal sealed class ProxyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ConnectOptions connect, ProxyUsers users)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!ProxyAuthentication.Applies(Context, connect))
        {
            return AuthenticateResult.NoResult();
        }

        var name = Request.Headers[connect.ProxyAuth.UsernameHeader].ToString().Trim();
        if (UserRepository.ValidateUsername(name) is { } problem)
        {
            return AuthenticateResult.Fail($"the proxy named a user this server cannot have: {problem}");
        }

        var groups = connect.ProxyAuth.GroupsHeader is { } header
            ? Request.Headers[header].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [];
        return await users.SignInAsync(name, groups, Context.RequestAborted) is { } user
            ? AuthenticateResult.Success(new AuthenticationTicket(Sessions.Principal(user, ProxyAuthentication.Scheme), ProxyAuthentication.Scheme))
            : AuthenticateResult.Fail($"user {name} is locked or cannot sign in here");
    }
}

/// <summary>
/// Users signed in by the proxy, through a half-second cache (like sessions), since its header comes with every
/// request. The proxy is trusted to name people: a name that is a local account here is that account (her role still
/// follows the mappings); any other is the proxy's user, made on first sign-in, with its groups when
/// <c>ProxyAuth.GroupsHeader</c> is set.
/// </summary>
public sealed class ProxyUsers(UserRepository users, ProviderUsers providers, ConnectOptions options, TimeProvider clock, DatabaseHealth health)
{
    public const string Provider = "proxy";

    private readonly LastAnswerCache<string, User?> _known = new(UserCache.Freshness, clock, health);

    /// <summary>The user, made on her first sign-in; null when she is locked or cannot be had here.</summary>
    public Task<User?> SignInAsync(string username, IReadOnlyList<string> groups, CancellationToken cancellationToken) =>
        _known.GetAsync(username + "\n" + string.Join(',', groups), async deadline =>
        {
            var local = await users.FindAsync(username, deadline);
            if (local is { Provider: null })
            {
                if (providers.RoleFor(groups) is { } role && role != local.Role)
                {
                    await users.SetRoleAsync(local.Id, role, deadline);
                    local = local with { Role = role };
                }

                return local.Locked ? null : local;
            }

            var identity = new ProviderIdentity(Provider, username, username, null, groups, ProvisionGroups: options.ProxyAuth.GroupsHeader is not null);
            return (await providers.SignInAsync(identity, deadline)).User;
        }, cancellationToken);
}
