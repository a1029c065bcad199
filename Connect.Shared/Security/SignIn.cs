using System.Net;
using System.Threading.RateLimiting;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Connect.Shared.Security;

/// <summary>
/// The sign-in and sign-out pages (plain HTML forms, no script) that a node and the admin console
/// both serve, each at its own paths, over the same users and the same session cookie.
/// </summary>
public static class SignIn
{
    public const string RateLimitPolicy = "sign-in";

    /// <summary>Sign-in attempts one client address may make a minute, per process.</summary>
    public const int AttemptsPerMinute = 10;

    /// <summary>Failed (and other) sign-in attempts limited per client address with ASP.NET Core's rate limiter.</summary>
    public static IServiceCollection AddSignInRateLimit(this IServiceCollection services) =>
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = AttemptsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "60";
                await Html(HttpStatusCode.TooManyRequests, "Too many sign-in attempts", "<h1>Too many sign-in attempts</h1><p>Wait a minute before trying again.</p>")
                    .ExecuteAsync(context.HttpContext);
            };
        });

    public static void MapSignIn(this IEndpointRouteBuilder app, string loginPath, string logoutPath, string afterSignOut)
    {
        app.MapGet(loginPath, (string? url) => Form(loginPath, LocalUrl(url), null, HttpStatusCode.OK)).AllowAnonymous();

        app.MapPost(loginPath, async (HttpContext context, UserRepository users, CancellationToken ct) =>
        {
            var form = await context.Request.ReadFormAsync(ct);
            var url = LocalUrl(form["url"]);
            var result = await users.CheckPasswordAsync(form["username"].ToString(), form["password"].ToString(), ct);
            if (result.User is not { } user)
            {
                return Form(loginPath, url, result.Status == SignInStatus.Locked
                    ? "This account is locked. Ask an administrator to unlock it."
                    : "The user name or password is wrong.", HttpStatusCode.Unauthorized);
            }

            await context.SignInAsync(Sessions.Scheme, Sessions.Principal(user, Sessions.Scheme));
            return Results.Redirect(url);
        }).RequireRateLimiting(RateLimitPolicy).AllowAnonymous();

        app.MapGet(logoutPath, () => Html(HttpStatusCode.OK, "Sign out",
            $"""<h1>Sign out</h1><form method="post" action="{logoutPath}"><button type="submit">Sign out</button></form>""")).AllowAnonymous();

        app.MapPost(logoutPath, async (HttpContext context) =>
        {
            await context.SignOutAsync(Sessions.Scheme);
            return Results.Redirect(afterSignOut);
        }).AllowAnonymous();
    }

    /// <summary>Where to go after signing in: a path on this server only, never another site.</summary>
    public static string LocalUrl(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            && url.All(c => !char.IsControl(c))
            ? url
            : "/";

    private static IResult Form(string loginPath, string returnUrl, string? problem, HttpStatusCode status)
    {
        var message = problem is null ? "" : $"<p role=\"alert\">{WebUtility.HtmlEncode(problem)}</p>";
        return Html(status, "Sign in", $"""
            <h1>Sign in</h1>{message}
            <form method="post" action="{loginPath}">
            <input type="hidden" name="url" value="{WebUtility.HtmlEncode(returnUrl)}">
            <p><label>User name <input name="username" autocomplete="username" required autofocus></label></p>
            <p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
            <p><button type="submit">Sign in</button></p>
            </form>
            """);
    }

    public static IResult Html(HttpStatusCode status, string title, string body) => Results.Content(
        $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(title)}</title></head><body>{body}</body></html>",
        "text/html; charset=utf-8", statusCode: (int)status);
}
