using Connect.Shared.Security;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Authentication;

namespace Connect.Runtime.Authentication;

/// <summary>
/// Who is asking: an API key (<c>Authorization: Key ...</c>) when the request carries one, otherwise
/// (on content URLs only) the session cookie of a signed-in browser. Both give the same claims, so the
/// rules that follow need not care how a caller signed in.
/// </summary>
internal static class AuthenticationSetup
{
    public const string Scheme = "Connect";
    public const string LoginPath = "/__login__";
    public const string LogoutPath = "/__logout__";

    /// <summary>Authorization policies: routes say which they need, and the framework answers 401/403.</summary>
    public const string Administrators = "administrators";
    public const string Publishers = "publishers";

    public static IServiceCollection AddConnectAuthentication(this IServiceCollection services, Connect.Shared.Configuration.ConnectOptions options)
    {
        services.AddConnectDataProtection(options);
        services.AddAuthentication(Scheme)
            // The API takes API keys only, never the session cookie: content is served from this same
            // origin, and a page of a hostile item must not be able to call the API as its viewer.
            .AddPolicyScheme(Scheme, "API key, proxy or session", o => o.ForwardDefaultSelector = context =>
                IsApi(context.Request) || ApiKeyAuthenticationHandler.KeyOf(context.Request) is not null ? ApiKeyAuthenticationHandler.SchemeName
                : ProxyAuthentication.Applies(context, options) ? ProxyAuthentication.Scheme
                : Sessions.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddProxyAuthentication()
            .AddOpenIdSignIn(options, LoginPath, options.Server.Address)
            .AddSessionCookie(LoginPath);
        services.AddAuthorization(o =>
        {
            o.AddPolicy(Administrators, p => p.RequireRole(nameof(UserRole.Administrator)));
            o.AddPolicy(Publishers, p => p.RequireRole(nameof(UserRole.Administrator), nameof(UserRole.Publisher)));
        });
        services.AddSignInRateLimit();
        return services;
    }

    private static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/__api__");

    /// <summary>The sign-in page and form, and sign-out.</summary>
    public static void MapSignIn(this IEndpointRouteBuilder app) => app.MapSignIn(LoginPath, LogoutPath, "/");
}
