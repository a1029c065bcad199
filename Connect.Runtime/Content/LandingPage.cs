using System.Net;
using Connect.Runtime.Authentication;
using Connect.Shared.Access;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Security;
using Microsoft.AspNetCore.Antiforgery;

namespace Connect.Runtime.Content;

/// <summary>
/// <c>/</c>: for a visitor who is not signed in, the administrator's own page from <c>Server.LandingDir</c> when there
/// is one (with its stylesheets and images, served from the same folder); for everyone else, and when there is none,
/// the content the visitor may open as cards (title, type, owner, last deployed, description), searchable, with
/// signing in or out. A signed-in user so always has her way to her content.
/// </summary>
internal static class LandingPage
{
    /// <summary>How much of a description a card shows.</summary>
    private const int DescriptionShown = 240;

    public static void MapLandingPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", async (HttpContext context, string? q, ConnectOptions options, ContentRepository contents, IAntiforgery antiforgery, CancellationToken ct) =>
        {
            var caller = Caller.TryFrom(context.User);
            if (caller is null && options.Server.LandingDir is { } landing && ContentEndpoint.ServableFile(Path.GetFullPath(landing), "index.html") is { } page)
            {
                return Results.File(page, "text/html; charset=utf-8");
            }

            var items = caller is null
                ? await contents.ListOpenToAllAsync(ct)
                : await contents.ListVisibleAsync(caller.IsAdministrator ? null : caller.Id, ct);
            var search = q?.Trim() ?? "";
            var shown = items
                .Where(c => c.ActiveBundleId is not null)
                .Where(c => search.Length == 0 || new[] { c.Title, c.Name, c.Description, c.OwnerUsername }.Any(v => v?.Contains(search, StringComparison.OrdinalIgnoreCase) == true))
                .OrderByDescending(c => c.LastDeployed)
                .ToList();
            var cards = string.Join("", shown.Select(c => Card(context, c)));
            var account = caller is null
                ? $"<p class=\"muted\"><a href=\"{AuthenticationSetup.LoginPath}\">Sign in</a> to see what is shared with you.</p>"
                : $"<form method=\"post\" action=\"{AuthenticationSetup.LogoutPath}\">{SignIn.TokenField(antiforgery.GetAndStoreTokens(context))}<p class=\"muted\">Signed in as {WebUtility.HtmlEncode(caller.Username)}. <button type=\"submit\">Sign out</button></p></form>";
            var searchForm = $"<form method=\"get\" action=\"{context.Request.PathBase}/\"><label>Search by title, name, description or owner<input name=\"q\" value=\"{WebUtility.HtmlEncode(search)}\" type=\"search\"></label></form>";
            var empty = search.Length > 0 ? $"Nothing you may open matches '{WebUtility.HtmlEncode(search)}'." : "Nothing you may open yet.";
            return SignIn.Html(HttpStatusCode.OK, "Connect",
                $"<div class=\"card\"><h1>Content</h1>{account}{searchForm}</div>"
                + (cards.Length == 0 ? $"<div class=\"card\"><p>{empty}</p></div>" : $"<div class=\"cards\">{cards}</div>"),
                inCard: false);
        });
    }

    /// <summary>
    /// The landing folder's own files (its stylesheet, images) at their paths below <c>/</c>, for paths no route of the
    /// node has: never the node's own prefixes (<c>/__…</c>, <c>/content/</c>), never a hidden file or a link out of it.
    /// </summary>
    public static void MapLandingAssets(this IEndpointRouteBuilder app, ConnectOptions options)
    {
        if (options.Server.LandingDir is not { } landing)
        {
            return;
        }

        var root = Path.GetFullPath(landing);
        var types = new Microsoft.AspNetCore.StaticFiles.FileExtensionContentTypeProvider();
        IResult Serve(string first, string relative) =>
            !first.StartsWith("__", StringComparison.Ordinal) && ContentEndpoint.ServableFile(root, relative) is { } path
                ? Results.File(path, types.TryGetContentType(path, out var type) ? type : "application/octet-stream")
                : Results.NotFound();

        app.MapMethods("/{file}", ["GET", "HEAD"], (string file) => Serve(file, file));
        app.MapMethods("/{folder}/{**rest}", ["GET", "HEAD"], (string folder, string rest) =>
            folder == "content" ? Results.NotFound() : Serve(folder, $"{folder}/{rest}"));
    }

    private static string Card(HttpContext context, ContentItem c)
    {
        var description = c.Description is { Length: > 0 } d
            ? $"<p>{WebUtility.HtmlEncode(d.Length > DescriptionShown ? d[..DescriptionShown] + "…" : d)}</p>"
            : "";
        return $"<div class=\"card\"><h3><a href=\"{context.Request.PathBase}/content/{c.Guid}/\">{WebUtility.HtmlEncode(c.Title ?? c.Name)}</a></h3>"
            + $"<p class=\"muted\">{WebUtility.HtmlEncode(AppModes.Label(c.AppMode))} · {WebUtility.HtmlEncode(c.OwnerUsername)} · {c.LastDeployed:yyyy-MM-dd}</p>{description}</div>";
    }
}
