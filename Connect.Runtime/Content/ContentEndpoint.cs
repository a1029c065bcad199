using Connect.Shared.Files;
using System.Net;
using Connect.Runtime.Authentication;
using Connect.Shared.Web;
using Connect.Runtime.Proxy;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Microsoft.AspNetCore.StaticFiles;
using Connect.Shared.Access;

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
        app.Map("/content/{guid}/{**path}", async (string guid, string? path, HttpContext context, ContentLookup lookup, ContentProxy proxy,
            StaticFiles files, Usage.UsageRecorder usage, ConnectOptions options, CancellationToken ct) =>
        {
            // Relative links in content only work below "/content/{guid}/", so the bare form redirects there.
            if (string.IsNullOrEmpty(path) && !context.Request.Path.Value!.EndsWith('/'))
            {
                return Results.Redirect($"{context.Request.PathBase}/content/{guid}/{context.Request.QueryString}");
            }

            var (content, bundle) = await lookup.FindAsync(guid, ct);
            var caller = Caller.TryFrom(context.User);
            if (content is null || !await ContentAccess.CanViewAsync(lookup, caller, content, ct))
            {
                // Anonymous callers are asked to sign in whether or not the item exists; a signed-in caller
                // who may not see it gets the same answer as for an item that does not exist.
                return caller is null
                    ? SignInNeeded(context)
                    : ErrorPages.Page(HttpStatusCode.NotFound, "Content not found",
                        $"There is no content {guid} here, or you may not open it: ask its owner to share it with you.",
                        action: ("Sign in as someone else", $"{context.Request.PathBase}{AuthenticationSetup.LoginPath}?url={Uri.EscapeDataString($"{context.Request.PathBase}{context.Request.Path}")}"));
            }

            context.Items[Metrics.MetricsSetup.ContentGuidItem] = content.Guid;
            if (context.IsWebSocketUpgrade() && !SameOrigin(context, options))
            {
                return ErrorPages.Page(HttpStatusCode.Forbidden, "Cross-site WebSocket refused", "A page of another site may not open this content's WebSocket.");
            }

            if (bundle is null)
            {
                return ErrorPages.Page(HttpStatusCode.NotFound, "Not deployed yet", $"'{content.Title ?? content.Name}' has no deployed bundle yet.");
            }

            if (bundle.AppMode == AppModes.RmdStatic && content.OutputPath is null)
            {
                return ErrorPages.Page(HttpStatusCode.NotFound, "Not rendered yet", $"'{content.Title ?? content.Name}' has no rendered output yet.");
            }

            // An API's calls are not views of it.
            if (bundle.AppMode != AppModes.Api && Usage.UsageRecorder.IsPageView(context.Request, path))
            {
                usage.Visit(content.Id, caller?.Id, bundle.Id, "/" + (path ?? ""));
            }

            if (FileRoot(content, bundle, options.DataDir) is not ({ } root, { } index))
            {
                return await proxy.ForwardAsync(context, content, bundle, context.Items[VanityPaths.PublicPrefixItem] as string,
                    () => ContentAccess.CanChangeAsync(lookup, caller, content, ct));
            }

            var relative = string.IsNullOrEmpty(path) ? index : path;
            if (files.Find(root, relative) is { } file)
            {
                return SendFile(context, file, content.AccessType == AccessTypes.All);
            }

            return ErrorPages.Page(HttpStatusCode.NotFound, "Not found", $"/{relative} is not part of this content.");
        });
    }

    /// <summary>
    /// Where the files of an item that is served from files lie, and its index page; null for content that runs as a
    /// worker (and for a document not rendered yet).
    /// </summary>
    internal static (string Root, string Index)? FileRoot(ContentItem content, Bundle bundle, string dataDir) => bundle.AppMode switch
    {
        AppModes.Static => (DataLayout.Resolve(dataDir, bundle.Path), bundle.PrimaryFile ?? "index.html"),
        // Only what the render produced: the document's source, helper scripts and data stay private.
        AppModes.RmdStatic when content.OutputPath is not null => (DataLayout.Resolve(dataDir, content.OutputPath), Path.ChangeExtension(bundle.PrimaryFile!, ".html")),
        _ => null,
    };

    /// <summary>
    /// A file of static or rendered content with its validators (ETag, Last-Modified) and ranges: a browser asks again
    /// with If-None-Match and gets 304 without the body, and a player seeks in a video. A bundle's files never change
    /// once extracted (a redeploy is a new folder), so size and time name a version. Browsers check back every time
    /// (no-cache), so a redeploy is seen at once; only public content may sit in a shared cache. A small text file goes
    /// compressed to a client that accepts it (Brotli first), as its own representation: its own ETag, and
    /// <c>Vary: Accept-Encoding</c> on every form so a cache keeps them apart. A range is always of the plain bytes.
    /// </summary>
    internal static IResult SendFile(HttpContext context, StaticFile file, bool isPublic)
    {
        var type = ContentTypes.TryGetContentType(file.Path, out var t) ? t : "application/octet-stream";
        var version = $"{file.Length:x}-{file.LastWriteTimeUtc.Ticks:x}";
        var headers = context.Response.Headers;
        headers.CacheControl = isPublic ? "no-cache" : "private, no-cache";
        if (file.IsCompressed)
        {
            headers.Vary = "Accept-Encoding";
        }

        if (file.Bytes is not { } bytes)
        {
            return Results.File(file.Path, type, lastModified: file.LastWriteTimeUtc, entityTag: Tag(version), enableRangeProcessing: true);
        }

        if (file.IsCompressed && context.Request.Headers.Range.Count == 0 && Encoding(context.Request, file) is ({ } name, { } encoded))
        {
            headers.ContentEncoding = name;
            return Results.Bytes(encoded, type, lastModified: file.LastWriteTimeUtc, entityTag: Tag($"{version}-{name}"));
        }

        return Results.Bytes(bytes, type, lastModified: file.LastWriteTimeUtc, entityTag: Tag(version), enableRangeProcessing: true);
    }

    private static Microsoft.Net.Http.Headers.EntityTagHeaderValue Tag(string version) => new($"\"{version}\"");

    /// <summary>The compressed form the client accepts, Brotli before gzip, or null for the plain bytes.</summary>
    internal static (string Name, byte[] Bytes)? Encoding(HttpRequest request, StaticFile file)
    {
        if (!Microsoft.Net.Http.Headers.StringWithQualityHeaderValue.TryParseList(request.Headers.AcceptEncoding, out var accepted))
        {
            return null;
        }

        bool Accepts(string name) => accepted.Any(a => (a.Value.Equals(name, StringComparison.OrdinalIgnoreCase) || a.Value == "*") && (a.Quality ?? 1) > 0)
            && !accepted.Any(a => a.Value.Equals(name, StringComparison.OrdinalIgnoreCase) && a.Quality == 0);

        return file.Brotli is { } brotli && Accepts("br") ? ("br", brotli)
            : file.Gzip is { } gzip && Accepts("gzip") ? ("gzip", gzip)
            : null;
    }

    /// <summary>A browser goes to the sign-in page and comes back; any other client gets a JSON 401.</summary>
    private static IResult SignInNeeded(HttpContext context)
    {
        var request = context.Request;
        if (ApiKeyAuthenticationHandler.KeyOf(request) is not null)
        {
            return ApiErrors.Unauthorized("the API key is not valid on this server (unknown, revoked, or its user is locked)");
        }

        return !context.IsWebSocketUpgrade() && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase)
            ? Results.Redirect($"{request.PathBase}{AuthenticationSetup.LoginPath}?url={Uri.EscapeDataString($"{request.PathBase}{request.Path}{request.QueryString}")}")
            : ApiErrors.Unauthorized("this content needs you to sign in: send the header 'Authorization: Key <api key>'");
    }

    /// <summary>
    /// A WebSocket opened by a page of another site would carry the viewer's session cookie (the
    /// browser sends it), letting that site drive the app as the viewer; browsers always send
    /// <c>Origin</c> on WebSockets, so it must name this server.
    /// </summary>
    internal static bool SameOrigin(HttpContext context, ConnectOptions options)
    {
        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true; // not a browser
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var from))
        {
            return false;
        }

        var host = from.IsDefaultPort ? from.Host : $"{from.Host}:{from.Port}";
        return string.Equals(host, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase)
            || options.Server.Address is { } address && Uri.TryCreate(address, UriKind.Absolute, out var server)
                && string.Equals(from.GetLeftPart(UriPartial.Authority), server.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase);
    }

    // Publishing metadata, never content: the manifest and the package caches of rsconnect, packrat and renv.
    private static readonly string[] PrivateTopLevel = ["manifest.json", "rsconnect", "packrat", "renv", "renv.lock"];

    /// <summary>
    /// The file to send for <paramref name="relative"/> under <paramref name="root"/>, or null. Dot-files
    /// and publishing metadata are never served, and the file's real path (every link followed) must lie
    /// inside the root's real path: a link made by a bundle or by rendering code cannot lead out.
    /// </summary>
    internal static string? ServableFile(string root, string relative)
    {
        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || segments.Any(s => s.StartsWith('.') || s.Contains('\\')) || PrivateTopLevel.Contains(segments[0], StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        var file = Path.GetFullPath(Path.Combine(root, string.Join('/', segments)));
        return File.Exists(file) ? RealPath.ResolveInside(file, root) : null;
    }
}
