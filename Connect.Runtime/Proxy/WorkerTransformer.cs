using Yarp.ReverseProxy.Forwarder;

namespace Connect.Runtime.Proxy;

/// <summary>
/// Rewrites a request for <c>/content/{guid}/rest</c> into <c>/rest</c> on the worker, and the
/// worker's redirects back under <c>/content/{guid}/</c>, so apps need not know where they are mounted.
/// </summary>
/// <param name="identityEncoding">Ask the worker not to compress (for responses the node edits).</param>
internal sealed class WorkerTransformer(string prefix, PathString rest, WorkerEndpoint worker, bool identityEncoding = false) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext context, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(context, proxyRequest, destinationPrefix, cancellationToken);
        var path = rest.HasValue ? rest.ToUriComponent() : "/";
        proxyRequest.RequestUri = new Uri(destinationPrefix + path + context.Request.QueryString.ToUriComponent());
        proxyRequest.Options.Set(WorkerConnections.WorkerOption, worker);

        if (identityEncoding)
        {
            proxyRequest.Headers.AcceptEncoding.Clear();
        }

        StripNodeCredentials(proxyRequest);

        // Only the node says where a request came from: what a client sent in these headers is dropped
        // (a trusted load balancer's values were already taken into Request.Scheme/Host/RemoteIpAddress).
        foreach (var name in ForwardingHeaders)
        {
            proxyRequest.Headers.Remove(name);
        }

        var request = context.Request;
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.ToString());
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-Prefix", prefix);
        if (context.Connection.RemoteIpAddress is { } remote)
        {
            proxyRequest.Headers.TryAddWithoutValidation("X-Forwarded-For", remote.ToString());
        }

        proxyRequest.Headers.TryAddWithoutValidation("X-RSC-Request", $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}");
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext context, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var nodesOwn = context.Response.Headers.SetCookie.ToArray(); // the worker-affinity cookie, set before forwarding
        var result = await base.TransformResponseAsync(context, proxyResponse, cancellationToken);
        StripOriginClaims(context.Response.Headers, nodesOwn);
        var location = context.Response.Headers.Location.ToString();
        if (location.Length > 0)
        {
            context.Response.Headers.Location = RewriteLocation(location, prefix, worker);
        }

        return result;
    }

    private static readonly string[] ForwardingHeaders =
    [
        "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "X-Forwarded-Port", "Forwarded",
        "X-Original-For", "X-Original-Proto", "X-Original-Host", "X-Real-IP", "X-RSC-Request",
    ];

    /// <summary>
    /// The caller's Connect API key and the node's cookies are for the node, not for the content: an app
    /// that saw them could act as its viewers (administrators included). Other credentials (a Bearer
    /// token the API checks itself, the app's own cookies) pass through.
    /// </summary>
    internal static void StripNodeCredentials(HttpRequestMessage proxyRequest)
    {
        if (proxyRequest.Headers.TryGetValues("Authorization", out var authorization)
            && authorization.Any(a => a.TrimStart().StartsWith("Key ", StringComparison.OrdinalIgnoreCase)))
        {
            proxyRequest.Headers.Remove("Authorization");
        }

        proxyRequest.Headers.Remove("X-RSC-Authorization");
        if (proxyRequest.Headers.TryGetValues("Cookie", out var cookies))
        {
            var kept = cookies.SelectMany(header => header.Split(';'))
                .Select(c => c.Trim())
                .Where(c => c.Length > 0 && !IsNodeCookie(c))
                .ToList();
            proxyRequest.Headers.Remove("Cookie");
            if (kept.Count > 0)
            {
                proxyRequest.Headers.TryAddWithoutValidation("Cookie", string.Join("; ", kept));
            }
        }
    }

    // The session cookie (and ASP.NET Core's chunks of it when it grows large), the worker-affinity and antiforgery
    // cookies, and nginx.conf.sample's node cookie. Names are compared as browsers do for these: case-sensitively.
    private static bool IsNodeCookie(string cookie) =>
        cookie.StartsWith(Shared.Security.Sessions.CookieName + "=", StringComparison.Ordinal)
        || cookie.StartsWith(Shared.Security.Sessions.CookieName + "C", StringComparison.Ordinal)
        || cookie.StartsWith(ContentProxy.AffinityCookie + "=", StringComparison.Ordinal)
        || cookie.StartsWith(Shared.Security.SignIn.AntiforgeryCookie + "=", StringComparison.Ordinal)
        || cookie.StartsWith("CONNECT_NODE=", StringComparison.Ordinal);

    /// <summary>
    /// Content shares the node's origin, so what a worker answers must not reach past its own path: a service worker
    /// allowed at <c>/</c> would sit in front of the sign-in page and read passwords, and a <c>Set-Cookie</c> for the
    /// session, the worker-affinity, antiforgery or load balancer cookie would sign a viewer in or out as the app likes.
    /// </summary>
    internal static void StripOriginClaims(IHeaderDictionary headers, IReadOnlyCollection<string?> nodesOwn)
    {
        headers.Remove("Service-Worker-Allowed");
        var cookies = headers.SetCookie;
        if (cookies.Count == 0)
        {
            return;
        }

        var kept = cookies.Where(c => c is not null && (nodesOwn.Contains(c) || !IsNodeCookie(c.TrimStart()))).ToArray();
        if (kept.Length != cookies.Count)
        {
            headers.SetCookie = kept;
        }
    }

    /// <summary>Maps a worker's <c>Location</c> into the content's public path.</summary>
    internal static string RewriteLocation(string location, string prefix, WorkerEndpoint worker)
    {
        if (location.StartsWith('/') && !location.StartsWith("//", StringComparison.Ordinal))
        {
            return prefix + location;
        }

        if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && string.Equals(uri.GetLeftPart(UriPartial.Authority), worker.Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return prefix + uri.PathAndQuery + uri.Fragment;
        }

        return location;
    }
}
