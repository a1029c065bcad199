using Connect.Shared.Content;
using Connect.Shared.Data;

namespace Connect.Runtime.Content;

/// <summary>
/// Every vanity path of the cluster, read at most once a second (a path set on any node is served by every node
/// within that second) and kept through a database outage like the rest of what serves content.
/// </summary>
internal sealed class VanityMap(VanityRepository vanities, TimeProvider clock, DatabaseHealth health)
{
    private readonly LastAnswerCache<int, IReadOnlyList<Vanity>> _all = new(ContentLookup.Freshness, clock, health);

    /// <summary>The vanity <paramref name="path"/> falls under, if any (paths never nest, so there is at most one).</summary>
    public async Task<Vanity?> FindAsync(string path, CancellationToken cancellationToken)
    {
        IReadOnlyList<Vanity> all;
        try
        {
            all = await _all.GetAsync(0, deadline => vanities.ListAsync(deadline), cancellationToken);
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            // Never read, and the database is away: only /content/{guid}/ URLs are known now.
            return null;
        }

        if (all.Count == 0)
        {
            return null;
        }

        var withSlash = path.EndsWith('/') ? path : path + "/";
        return all.FirstOrDefault(v => withSlash.StartsWith(v.Path, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Forgets the map at once (after this node changed a vanity path).</summary>
    public void Forget() => _all.Forget(0);
}

/// <summary>
/// Requests under a vanity path go to its content as if they had asked for <c>/content/{guid}/...</c>. The public
/// prefix is kept for the proxy, so a worker's redirects and the worker cookie stay under the vanity path the browser sees.
/// </summary>
internal static class VanityPaths
{
    /// <summary>The path prefix the viewer used for content reached through its vanity path.</summary>
    public const string PublicPrefixItem = "connect.public-prefix";

    public static IApplicationBuilder UseVanityPaths(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "/";
            // The server's own paths never are vanity paths (VanityRepository refuses them), so they cost nothing here.
            if (path.Length > 1 && !path.StartsWith("/__", StringComparison.Ordinal) && !path.StartsWith("/content/", StringComparison.Ordinal)
                && await context.RequestServices.GetRequiredService<VanityMap>().FindAsync(path, context.RequestAborted) is { } vanity)
            {
                if (!path.EndsWith('/') && path.Length == vanity.Path.Length - 1)
                {
                    // Relative links only work below the path's own '/'.
                    context.Response.Redirect($"{context.Request.PathBase}{vanity.Path}{context.Request.QueryString}");
                    return;
                }

                context.Items[PublicPrefixItem] = $"{context.Request.PathBase}{path[..(vanity.Path.Length - 1)]}";
                context.Request.Path = $"/content/{vanity.ContentGuid}/{path[vanity.Path.Length..]}";
            }

            await next(context);
        });
}
