using System.Net;
using System.Threading.RateLimiting;
using Connect.Runtime.Content;
using Connect.Shared.Security;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.RateLimiting;

namespace Connect.Runtime.Authentication;

/// <summary>
/// Who is asking: an API key (<c>Authorization: Key ...</c>) when the request carries one, otherwise
/// the session cookie of a signed-in browser. Both give the same claims, so the rules that follow
/// need not care how a caller signed in.
/// </summary>
internal static class AuthenticationSetup
{
    public const string Scheme = "Connect";
    public const string LoginPath = "/__login__";
    public const string LogoutPath = "/__logout__";
    public const string SignInLimit = "sign-in";

    /// <summary>Authorization policies: routes say which they need, and the framework answers 401/403.</summary>
    public const string Administrators = "administrators";
    public const string Publishers = "publishers";

    /// <summary>Sign-in attempts one client address may make a minute, per node.</summary>
    public const int SignInAttemptsPerMinute = 10;

    public static IServiceCollection AddConnectAuthentication(this IServiceCollection services)
    {
        services.AddConnectDataProtection();
        services.AddAuthentication(Scheme)
            // The API takes API keys only, never the session cookie: content is served from this same
            // origin, and a page of a hostile item must not be able to call the API as its viewer.
            .AddPolicyScheme(Scheme, "API key or session", o => o.ForwardDefaultSelector = context =>
                IsApi(context.Request) || ApiKeyAuthenticationHandler.KeyOf(context.Request) is not null ? ApiKeyAuthenticationHandler.SchemeName : Sessions.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddSessionCookie(LoginPath);
        services.AddAuthorization(o =>
        {
            o.AddPolicy(Administrators, p => p.RequireRole(nameof(UserRole.Administrator)));
            o.AddPolicy(Publishers, p => p.RequireRole(nameof(UserRole.Administrator), nameof(UserRole.Publisher)));
        });
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(SignInLimit, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = SignInAttemptsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                await ContentEndpoint.Page(HttpStatusCode.TooManyRequests, "Too many sign-in attempts",
                    "Wait a minute before trying again.").ExecuteAsync(context.HttpContext);
            };
        });
        return services;
    }

    private static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/__api__");

    /// <summary>The sign-in page and form, and sign-out.</summary>
    public static void MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet(LoginPath, (string? url) => SignInPage.Form(LocalUrl(url), null, HttpStatusCode.OK));

        app.MapPost(LoginPath, async (HttpContext context, UserRepository users, CancellationToken ct) =>
        {
            var form = await context.Request.ReadFormAsync(ct);
            var url = LocalUrl(form["url"]);
            var result = await users.CheckPasswordAsync(form["username"].ToString(), form["password"].ToString(), ct);
            if (result.User is not { } user)
            {
                return SignInPage.Form(url, result.Status == SignInStatus.Locked
                    ? "This account is locked. Ask an administrator to unlock it."
                    : "The user name or password is wrong.", HttpStatusCode.Unauthorized);
            }

            await context.SignInAsync(Sessions.Scheme, Sessions.Principal(user, Sessions.Scheme));
            return Results.Redirect(url);
        }).RequireRateLimiting(SignInLimit);

        app.MapGet(LogoutPath, () => SignInPage.SignOutForm());

        app.MapPost(LogoutPath, async (HttpContext context) =>
        {
            await context.SignOutAsync(Sessions.Scheme);
            return Results.Redirect("/");
        });
    }

    /// <summary>Where to go after signing in: a path on this server only, never another site.</summary>
    internal static string LocalUrl(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            && url.All(c => !char.IsControl(c))
            ? url
            : "/";
}
