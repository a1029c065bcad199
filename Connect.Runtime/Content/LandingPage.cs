using System.Net;
using Connect.Runtime.Authentication;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Security;
using Connect.Shared.Access;

namespace Connect.Runtime.Content;

/// <summary>
/// <c>/</c>: the administrator's own page from <c>Server.LandingDir</c> when there is one, else a plain
/// list of the content the visitor may open, with signing in or out.
/// </summary>
internal static class LandingPage
{
    public static void MapLandingPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", async (HttpContext context, ConnectOptions options, ContentRepository contents, CancellationToken ct) =>
        {
            if (options.Server.LandingDir is { } landing && ContentEndpoint.ServableFile(Path.GetFullPath(landing), "index.html") is { } page)
            {
                return Results.File(page, "text/html; charset=utf-8");
            }

            var caller = Caller.TryFrom(context.User);
            var items = caller is null
                ? await contents.ListOpenToAllAsync(ct)
                : await contents.ListVisibleAsync(caller.IsAdministrator ? null : caller.Id, ct);
            var list = string.Join("", items.Where(c => c.ActiveBundleId is not null).Select(c =>
                $"<li><a href=\"{context.Request.PathBase}/content/{c.Guid}/\">{WebUtility.HtmlEncode(c.Title ?? c.Name)}</a></li>"));
            var account = caller is null
                ? $"<p><a href=\"{AuthenticationSetup.LoginPath}\">Sign in</a></p>"
                : $"<form method=\"post\" action=\"{AuthenticationSetup.LogoutPath}\"><p>Signed in as {WebUtility.HtmlEncode(caller.Username)}. <button type=\"submit\">Sign out</button></p></form>";
            return SignIn.Html(HttpStatusCode.OK, "Connect", $"<h1>Connect</h1>{account}<h2>Content</h2><ul>{(list.Length == 0 ? "<li>Nothing you may open yet.</li>" : list)}</ul>");
        });
    }
}
