using System.Net;
using Connect.Shared.Content;
using Microsoft.AspNetCore.StaticFiles;

namespace Connect.Runtime.Content;

/// <summary>
/// <c>/content/{guid}/...</c>: serves the active bundle of static content straight from the data
/// directory, and the rendered output of an R Markdown document. Dot-files (such as
/// <c>.Renviron</c>, which may hold secrets) are never served.
/// </summary>
internal static class ContentEndpoint
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    public static void MapContent(this IEndpointRouteBuilder app)
    {
        app.Map("/content/{guid}/{**path}", async (string guid, string? path, HttpContext context, ContentLookup lookup, Publishing.BundleStore store, Proxy.ContentProxy proxy, CancellationToken ct) =>
        {
            // Relative links in content only work below "/content/{guid}/", so the bare form redirects there.
            if (string.IsNullOrEmpty(path) && !context.Request.Path.Value!.EndsWith('/'))
            {
                return Results.Redirect($"{context.Request.PathBase}/content/{guid}/{context.Request.QueryString}");
            }

            var (content, bundle) = await lookup.FindAsync(guid, ct);
            if (content is null)
            {
                return Page(HttpStatusCode.NotFound, "Content not found", $"There is no content {guid} on this server.");
            }

            if (bundle is null)
            {
                return Page(HttpStatusCode.NotFound, "Not deployed yet", $"'{content.Title ?? content.Name}' has no deployed bundle yet.");
            }

            string[] roots;
            string index;
            switch (bundle.AppMode)
            {
                case AppModes.Static:
                    roots = [store.FullPath(bundle.Path)];
                    index = bundle.PrimaryFile ?? "index.html";
                    break;
                case AppModes.RmdStatic when content.OutputPath is not null:
                    roots = [store.FullPath(content.OutputPath), store.FullPath(bundle.Path)];
                    index = Path.ChangeExtension(bundle.PrimaryFile!, ".html");
                    break;
                default:
                    return await proxy.ForwardAsync(context, content, bundle);
            }

            var relative = string.IsNullOrEmpty(path) ? index : path;
            if (relative.Split('/').Any(segment => segment.StartsWith('.')))
            {
                return Page(HttpStatusCode.NotFound, "Not found", $"/{relative} is not part of this content.");
            }

            foreach (var root in roots)
            {
                var file = Path.GetFullPath(Path.Combine(root, relative));
                if (file.StartsWith(Path.GetFullPath(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(file))
                {
                    var type = ContentTypes.TryGetContentType(file, out var t) ? t : "application/octet-stream";
                    return Results.File(file, type, enableRangeProcessing: true);
                }
            }

            return Page(HttpStatusCode.NotFound, "Not found", $"/{relative} is not part of this content.");
        });
    }

    /// <summary>A small HTML page for viewers; rsconnect shows the body text of HTML errors too.</summary>
    internal static IResult Page(HttpStatusCode status, string title, string message, IReadOnlyList<string>? details = null, int? retryAfterSeconds = null)
    {
        var pre = details is { Count: > 0 } ? $"<pre>{WebUtility.HtmlEncode(string.Join('\n', details))}</pre>" : "";
        var html = $"<!DOCTYPE html><html><head><title>{WebUtility.HtmlEncode(title)}</title></head><body><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(message)}</p>{pre}</body></html>";
        var page = Results.Content(html, "text/html; charset=utf-8", statusCode: (int)status);
        return retryAfterSeconds is { } seconds ? new WithHeader(page, "Retry-After", seconds.ToString()) : page;
    }

    private sealed class WithHeader(IResult inner, string name, string value) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers[name] = value;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
