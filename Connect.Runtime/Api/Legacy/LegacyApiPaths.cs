using Connect.Runtime.Publishing;
using Connect.Runtime.Api.Json;
namespace Connect.Runtime.Api.Legacy;

/// <summary>
/// rsconnect 0.8.x sends its calls to the URL given to <c>addServer</c> exactly as typed. Users often
/// type the server's address without <c>/__api__</c>; the publishing calls then arrive at the root
/// (<c>/applications</c>, <c>/tasks/...</c>) and are routed to the API as if the prefix were there.
/// Clients that join a server URL ending in <c>/</c> with a path starting with one (rsconnect-python asks for
/// <c>//content/{guid}/</c>) get their doubled slashes collapsed, as a web server would.
/// </summary>
internal static class LegacyApiPaths
{
    private static readonly string[] Roots = ["/server_settings", "/users/current", "/applications", "/tasks"];

    public static IApplicationBuilder UseLegacyApiPaths(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var path = context.Request.Path;
            if (path.Value is { } raw && raw.Contains("//", StringComparison.Ordinal))
            {
                path = context.Request.Path = new PathString(System.Text.RegularExpressions.Regex.Replace(raw, "/{2,}", "/"));
            }

            if (Roots.Any(root => path.StartsWithSegments(root, StringComparison.Ordinal)))
            {
                context.Request.Path = "/__api__" + path;
            }

            return next(context);
        });
}
