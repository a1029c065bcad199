using Connect.Shared.Configuration;
using System.Net;
using System.Threading.RateLimiting;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Antiforgery;
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

    /// <summary>The antiforgery cookie that ties a sign-in or sign-out form to the browser it was given to.</summary>
    public const string AntiforgeryCookie = "connect_antiforgery";

    /// <summary>
    /// Failed (and other) sign-in attempts limited per client address with ASP.NET Core's rate limiter, and the
    /// antiforgery tokens of the forms (protected with the cluster's key ring, so a form from one node posts to any).
    /// </summary>
    public static IServiceCollection AddSignInRateLimit(this IServiceCollection services) =>
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = AntiforgeryCookie;
            o.Cookie.Path = "/";
            o.FormFieldName = "form_token";
        }).AddRateLimiter(o =>
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
        app.MapGet(loginPath, async (HttpContext context, IAntiforgery antiforgery, ConnectOptions options, string? url) => options.Authentication.Provider switch
        {
            SignInOptions.OAuth2 => await OpenIdSignIn.ChallengeAsync(context, LocalUrl(url)),
            // Signed in by the proxy's header already: on to where she was going. Else to the proxy's own sign-in.
            SignInOptions.Proxy => ProxyAuthentication.Applies(context, options) ? Results.Redirect(LocalUrl(url))
                : options.ProxyAuth.LoginURL is { } proxyLogin ? Results.Redirect(proxyLogin)
                : Html(HttpStatusCode.Unauthorized, "Sign in", "<h1>Sign in</h1><p>This server signs people in through your organisation's sign-in, in front of it. Open it through that address.</p>"),
            _ => Form(loginPath, LocalUrl(url), null, HttpStatusCode.OK, antiforgery.GetAndStoreTokens(context)),
        }).AllowAnonymous();

        app.MapPost(loginPath, async (HttpContext context, UserRepository users, Ldap.LdapSignIn directory, IAntiforgery antiforgery, ConnectOptions options, CancellationToken ct) =>
        {
            if (await CrossSiteAsync(context, antiforgery) is { } refused)
            {
                return refused;
            }

            if (options.Authentication.Provider is SignInOptions.Proxy or SignInOptions.OAuth2)
            {
                // Passwords are not how anyone signs in here: the provider decides.
                return Html(HttpStatusCode.Forbidden, "Sign in", "<h1>Sign in</h1><p>This server signs people in through your organisation's sign-in, not with a password.</p>");
            }

            var form = await context.Request.ReadFormAsync(ct);
            var url = LocalUrl(form["url"]);
            if (options.Authentication.Provider == SignInOptions.Ldap)
            {
                var signedIn = await directory.SignInAsync(form["username"].ToString(), form["password"].ToString(), ct);
                if (signedIn.User is not { } person)
                {
                    return Form(loginPath, url, signedIn.Problem,
                        signedIn.ProviderDown ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.Unauthorized, antiforgery.GetAndStoreTokens(context));
                }

                return await StartSessionAsync(context, person, url);
            }

            return await PasswordSignInAsync(context, users, antiforgery, loginPath, form, url, _ => true, ct);
        }).RequireRateLimiting(RateLimitPolicy).AllowAnonymous();

        MapBreakGlass(app, loginPath);

        app.MapGet(logoutPath, (HttpContext context, IAntiforgery antiforgery) => Html(HttpStatusCode.OK, "Sign out",
            $"""<h1>Sign out</h1><form method="post" action="{logoutPath}">{TokenField(antiforgery.GetAndStoreTokens(context))}<button type="submit">Sign out</button></form>""")).AllowAnonymous();

        app.MapPost(logoutPath, async (HttpContext context, IAntiforgery antiforgery, ConnectOptions options) =>
        {
            if (await CrossSiteAsync(context, antiforgery) is { } refused)
            {
                return refused;
            }

            if (options.Authentication.Provider == SignInOptions.OAuth2
                && (await context.AuthenticateAsync(Sessions.Scheme)).Properties?.GetTokenValue("id_token") is not null)
            {
                // Signed in at the provider: end that too. Its handler leads the browser there (with the ID token as the
                // hint) and back to the signed-out page; this removes the session here.
                await context.SignOutAsync(OpenIdSignIn.Scheme, new AuthenticationProperties { RedirectUri = afterSignOut });
                await context.SignOutAsync(Sessions.Scheme);
                return Results.Empty;
            }

            await context.SignOutAsync(Sessions.Scheme);
            if (options.Authentication.Provider == SignInOptions.Proxy && options.ProxyAuth.LogoutURL is { } proxyLogout)
            {
                // Signed in by the proxy: only its sign-out ends that.
                return Results.Redirect(proxyLogout);
            }

            return Results.Redirect(afterSignOut);
        }).AllowAnonymous();

        app.MapGet(loginPath + "/signed-out/done", () => Html(HttpStatusCode.OK, "Signed out",
            $"""<h1>Signed out</h1><p>You are signed out here and at your organisation's sign-in.</p><p><a href="{loginPath}">Sign in again</a></p>""")).AllowAnonymous();
    }

    /// <summary>
    /// <c>{loginPath}/local</c>: while a provider decides who signs in, the administrators named in
    /// <c>Authentication.BreakGlassAdministrators</c> may still sign in with a password kept here (say, when the
    /// provider is down). Nobody else, and no provider's user, signs in this way.
    /// </summary>
    private static void MapBreakGlass(IEndpointRouteBuilder app, string loginPath)
    {
        var path = loginPath + "/local";
        app.MapGet(path, (HttpContext context, IAntiforgery antiforgery, ConnectOptions options, string? url) => BreakGlassOpen(options)
            ? Form(path, LocalUrl(url), null, HttpStatusCode.OK, antiforgery.GetAndStoreTokens(context), "Local administrator sign-in")
            : Results.NotFound()).AllowAnonymous();

        app.MapPost(path, async (HttpContext context, UserRepository users, IAntiforgery antiforgery, ConnectOptions options, CancellationToken ct) =>
        {
            if (!BreakGlassOpen(options))
            {
                return Results.NotFound();
            }

            if (await CrossSiteAsync(context, antiforgery) is { } refused)
            {
                return refused;
            }

            var form = await context.Request.ReadFormAsync(ct);
            var names = options.Authentication.BreakGlassNames;
            return await PasswordSignInAsync(context, users, antiforgery, path, form, LocalUrl(form["url"]),
                user => user is { IsAdministrator: true, Provider: null } && names.Contains(user.Username, StringComparer.Ordinal), ct);
        }).RequireRateLimiting(RateLimitPolicy).AllowAnonymous();
    }

    private static bool BreakGlassOpen(ConnectOptions options) =>
        options.Authentication.Provider != SignInOptions.Password && options.Authentication.BreakGlassNames.Count > 0;

    /// <summary>A password checked here; <paramref name="allowed"/> narrows who may use one (the break-glass form).</summary>
    private static async Task<IResult> PasswordSignInAsync(
        HttpContext context, UserRepository users, IAntiforgery antiforgery, string formPath, IFormCollection form, string url, Func<User, bool> allowed, CancellationToken ct)
    {
        var result = await users.CheckPasswordAsync(form["username"].ToString(), form["password"].ToString(), ct);
        if (result.User is not { } user || !allowed(user))
        {
            return Form(formPath, url, result.Status == SignInStatus.Locked
                ? "This account is locked. Ask an administrator to unlock it."
                : "The user name or password is wrong.", HttpStatusCode.Unauthorized, antiforgery.GetAndStoreTokens(context));
        }

        return await StartSessionAsync(context, user, url);
    }

    /// <summary>The session cookie for <paramref name="user"/>, then on to where she was going.</summary>
    private static async Task<IResult> StartSessionAsync(HttpContext context, User user, string url)
    {
        await context.SignInAsync(Sessions.Scheme, Sessions.Principal(user, Sessions.Scheme));
        return Results.Redirect(url);
    }

    /// <summary>
    /// A sign-in or sign-out post that another site made the browser send: refused when its <c>Origin</c> is not this
    /// server (browsers send it with every form post) or its form lacks the token this server gave with the form.
    /// Signing a browser into an attacker's account, or out of its own, would otherwise take one hidden form.
    /// </summary>
    private static async Task<IResult?> CrossSiteAsync(HttpContext context, IAntiforgery antiforgery)
    {
        var origin = context.Request.Headers.Origin.ToString();
        var sameOrigin = origin.Length == 0 || string.Equals(origin, $"{context.Request.Scheme}://{context.Request.Host}", StringComparison.OrdinalIgnoreCase);
        if (sameOrigin && await antiforgery.IsRequestValidAsync(context))
        {
            return null;
        }

        return Html(HttpStatusCode.Forbidden, "Form refused",
            "<h1>Form refused</h1><p>This form was not sent from this server's own page. Open the page again and send it from there.</p>");
    }

    /// <summary>The hidden field that carries a form's antiforgery token (sign-in, sign-out).</summary>
    public static string TokenField(AntiforgeryTokenSet tokens) =>
        $"""<input type="hidden" name="{WebUtility.HtmlEncode(tokens.FormFieldName)}" value="{WebUtility.HtmlEncode(tokens.RequestToken)}">""";

    /// <summary>Where to go after signing in: a path on this server only, never another site.</summary>
    public static string LocalUrl(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            && url.All(c => !char.IsControl(c))
            ? url
            : "/";

    private static IResult Form(string loginPath, string returnUrl, string? problem, HttpStatusCode status, AntiforgeryTokenSet tokens, string title = "Sign in")
    {
        var message = problem is null ? "" : $"<p role=\"alert\">{WebUtility.HtmlEncode(problem)}</p>";
        return Html(status, title, $"""
            <h1>{title}</h1>{message}
            <form method="post" action="{loginPath}">{TokenField(tokens)}
            <input type="hidden" name="url" value="{WebUtility.HtmlEncode(returnUrl)}">
            <p><label>User name <input name="username" autocomplete="username" required autofocus></label></p>
            <p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
            <p><button type="submit">Sign in</button></p>
            </form>
            """);
    }

    public static IResult Html(HttpStatusCode status, string title, string body, bool inCard = true) => Results.Content(
        Web.PageStyle.Document(title, body, inCard), "text/html; charset=utf-8", statusCode: (int)status);
}
