using System.Net;

namespace Connect.Runtime.Authentication;

/// <summary>The node's own sign-in and sign-out pages: plain HTML forms, no script.</summary>
internal static class SignInPage
{
    public static IResult Form(string returnUrl, string? problem, HttpStatusCode status)
    {
        var message = problem is null ? "" : $"<p role=\"alert\">{WebUtility.HtmlEncode(problem)}</p>";
        return Html(status, "Sign in", $"""
            <h1>Sign in</h1>{message}
            <form method="post" action="{AuthenticationSetup.LoginPath}">
            <input type="hidden" name="url" value="{WebUtility.HtmlEncode(returnUrl)}">
            <p><label>User name <input name="username" autocomplete="username" required autofocus></label></p>
            <p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
            <p><button type="submit">Sign in</button></p>
            </form>
            """);
    }

    public static IResult SignOutForm() => Html(HttpStatusCode.OK, "Sign out", $"""
        <h1>Sign out</h1>
        <form method="post" action="{AuthenticationSetup.LogoutPath}"><button type="submit">Sign out</button></form>
        """);

    private static IResult Html(HttpStatusCode status, string title, string body) => Results.Content(
        $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>{body}</body></html>",
        "text/html; charset=utf-8", statusCode: (int)status);
}
