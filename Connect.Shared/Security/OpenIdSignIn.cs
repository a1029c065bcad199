using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Connect.Shared.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Connect.Shared.Security;

/// <summary>
/// <c>[Authentication] Provider = oauth2</c>: OpenID Connect with ASP.NET Core's handler, authorization code flow with
/// PKCE, state and nonce, the issuer's discovery document and keys fetched over TLS checked against the system's
/// store. The provider's user becomes a user here (matched by <c>UniqueIdClaim</c>, not her name) and the session is
/// the same cluster-wide cookie as a password sign-in's. The redirect URI is <c>{address}{loginPath}/callback</c>:
/// <c>{Server.Address}__login__/callback</c> for the nodes, <c>{Server.DashboardAddress}login/callback</c> for the dashboard.
/// </summary>
public static partial class OpenIdSignIn
{
    public const string Scheme = "OpenIdConnect";
    public const string Provider = "oauth2";

    public static bool Enabled(ConnectOptions options) => options.Authentication.Provider == SignInOptions.OAuth2;

    /// <param name="publicAddress">The address people reach this process at (its redirect URIs are made from it); null: the request's own.</param>
    public static AuthenticationBuilder AddOpenIdSignIn(this AuthenticationBuilder builder, ConnectOptions options, string loginPath, string? publicAddress)
    {
        if (!Enabled(options))
        {
            return builder;
        }

        var settings = options.OAuth2;
        var callback = loginPath + "/callback";
        var signedOut = loginPath + "/signed-out";
        return builder.AddOpenIdConnect(Scheme, oidc =>
        {
            oidc.Authority = settings.OpenIDConnectIssuer;
            oidc.RequireHttpsMetadata = true;
            // Discovery, keys and the token exchange go over this channel: a provider that hangs is given up on (a 503
            // page saying so) after 10 seconds rather than the default minute. The calls are asynchronous: no thread waits.
            oidc.BackchannelTimeout = TimeSpan.FromSeconds(10);
            oidc.ClientId = settings.ClientId;
            oidc.ClientSecret = settings.ClientSecret;
            oidc.ResponseType = OpenIdConnectResponseType.Code;
            oidc.UsePkce = true;
            // The provider sends the browser back with a top-level GET, so the state and nonce cookies can be SameSite=Lax
            // and still arrive; a cross-site form post would need SameSite=None.
            oidc.ResponseMode = OpenIdConnectResponseMode.Query;
            oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
            oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.NonceCookie.SameSite = SameSiteMode.Lax;
            oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.CallbackPath = callback;
            oidc.SignedOutCallbackPath = signedOut;
            oidc.SignInScheme = Sessions.Scheme;
            oidc.SignOutScheme = Sessions.Scheme;
            oidc.SaveTokens = true;
            oidc.MapInboundClaims = false;
            oidc.GetClaimsFromUserInfoEndpoint = true;
            oidc.Scope.Clear();
            foreach (var scope in new[] { "openid", "profile", "email" }.Concat((settings.CustomScope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            {
                oidc.Scope.Add(scope);
            }

            oidc.Events.OnRedirectToIdentityProvider = context =>
            {
                if (publicAddress is not null)
                {
                    context.ProtocolMessage.RedirectUri = publicAddress.TrimEnd('/') + callback;
                }

                return Task.CompletedTask;
            };
            oidc.Events.OnRedirectToIdentityProviderForSignOut = context =>
            {
                if (publicAddress is not null)
                {
                    context.ProtocolMessage.PostLogoutRedirectUri = publicAddress.TrimEnd('/') + signedOut;
                }

                return Task.CompletedTask;
            };
            // The last step, with the ID token's and the user-info endpoint's claims together: who is she here?
            oidc.Events.OnTicketReceived = async context =>
            {
                var users = context.HttpContext.RequestServices.GetRequiredService<ProviderUsers>();
                var identity = IdentityOf(context.Principal!, settings);
                var signedIn = identity.Identity is null
                    ? new ProviderSignIn(null, identity.Problem)
                    : await users.SignInAsync(identity.Identity, context.HttpContext.RequestAborted);
                if (signedIn.User is not { } user)
                {
                    context.Fail(signedIn.Problem ?? "the provider's sign-in gave no user");
                    return;
                }

                context.Principal = Sessions.Principal(user, Sessions.Scheme);
            };
            oidc.Events.OnRemoteFailure = async context =>
            {
                // A tampered state or token, a refused consent, an unknown user: say so, never a stack trace.
                LogRefused(Logger(context.HttpContext), context.Failure?.Message ?? "unknown");
                context.HandleResponse();
                await SignIn.Html(HttpStatusCode.Forbidden, "Sign-in failed",
                    $"<h1>Sign-in failed</h1><p>The sign-in with your organisation's provider did not succeed: {WebUtility.HtmlEncode(Reason(context.Failure))}</p><p><a href=\"{loginPath}\">Try again</a></p>")
                    .ExecuteAsync(context.HttpContext);
            };
            oidc.Events.OnSignedOutCallbackRedirect = context =>
            {
                context.HttpContext.Response.Redirect(loginPath + "/signed-out/done");
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });
    }

    /// <summary>
    /// Sends the browser to the provider; when its discovery document cannot be had (the provider down, its
    /// certificate not trusted), a page that says so instead of an error.
    /// </summary>
    internal static async Task<IResult> ChallengeAsync(HttpContext context, string returnUrl)
    {
        try
        {
            await context.ChallengeAsync(Scheme, new AuthenticationProperties { RedirectUri = returnUrl });
            return Results.Empty;
        }
        catch (InvalidOperationException e) when (e.Message.Contains("IDX20803", StringComparison.Ordinal))
        {
            // IDX20803: unable to obtain the configuration from the issuer.
            LogProviderDown(Logger(context), e.InnerException?.Message ?? e.Message);
            return SignIn.Html(HttpStatusCode.ServiceUnavailable, "Sign in",
                "<h1>Sign in</h1><p>Your organisation's sign-in cannot be reached just now. Try again in a minute.</p>");
        }
    }

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OpenIdSignIn));

    /// <summary>The user the provider's claims name, or why they name nobody usable.</summary>
    internal static (ProviderIdentity? Identity, string? Problem) IdentityOf(ClaimsPrincipal principal, OAuth2Options settings)
    {
        var uniqueId = principal.FindFirstValue(settings.UniqueIdClaim);
        if (string.IsNullOrEmpty(uniqueId))
        {
            return (null, $"the provider's token has no {settings.UniqueIdClaim} claim");
        }

        var email = principal.FindFirstValue(settings.EmailClaim);
        var username = principal.FindFirstValue(settings.UsernameClaim);
        if (string.IsNullOrEmpty(username))
        {
            if (settings.RequireUsernameClaim || email is null || email.IndexOf('@') <= 0)
            {
                return (null, $"the provider's token has no {settings.UsernameClaim} claim");
            }

            username = email[..email.IndexOf('@')];
        }

        return (new ProviderIdentity(Provider, uniqueId, username, email, GroupsOf(principal, settings.GroupsClaim), settings.GroupsAutoProvision), null);
    }

    /// <summary>The groups claim: one claim per group, or one claim holding a JSON array (as user-info answers carry it).</summary>
    private static IReadOnlyList<string> GroupsOf(ClaimsPrincipal principal, string claim) =>
        principal.FindAll(claim).SelectMany(c => c.Value.StartsWith('[') ? JsonArray(c.Value) : [c.Value]).Distinct(StringComparer.Ordinal).ToList();

    private static IEnumerable<string> JsonArray(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<string[]>(json) ?? [];
        }
        catch (JsonException)
        {
            return [json];
        }
    }

    private static string Reason(Exception? failure) => failure?.Message switch
    {
        null => "no reason was given",
        var m when m.Contains("Correlation failed", StringComparison.Ordinal) || m.Contains("state", StringComparison.OrdinalIgnoreCase) =>
            "the answer did not belong to a sign-in started here (its state did not match)",
        var m when m.StartsWith("IDX", StringComparison.Ordinal) => "the provider's token did not check out",
        var m => m,
    };

    [LoggerMessage(EventId = 1631, Level = LogLevel.Warning, Message = "The OpenID Connect provider's discovery document could not be read: {Problem}")]
    private static partial void LogProviderDown(ILogger logger, string problem);

    [LoggerMessage(EventId = 1630, Level = LogLevel.Warning, Message = "Refused an OpenID Connect sign-in: {Reason}")]
    private static partial void LogRefused(ILogger logger, string reason);
}
