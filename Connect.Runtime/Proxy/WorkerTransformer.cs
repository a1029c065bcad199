using Yarp.ReverseProxy.Forwarder;

namespace Connect.Runtime.Proxy;

/// <summary>
/// Rewrites a request for <c>/content/{guid}/rest</c> into <c>/rest</c> on the worker, and the
/// worker's redirects back under <c>/content/{guid}/</c>, so apps need not know where they are mounted.
/// </summary>
/// <param name="identityEncoding">Ask the worker not to compress (for responses the node edits).</param>
internal sealed class WorkerTransformer(string prefix, PathString rest, int port, bool identityEncoding = false) : HttpTransformer
{
    public override async ValueTask TransformRequestAsync(HttpContext context, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(context, proxyRequest, destinationPrefix, cancellationToken);
        var path = rest.HasValue ? rest.ToUriComponent() : "/";
        proxyRequest.RequestUri = new Uri(destinationPrefix + path + context.Request.QueryString.ToUriComponent());

        if (identityEncoding)
        {
            proxyRequest.Headers.AcceptEncoding.Clear();
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

        // httpuv (Shiny, Plumber) writes a response in several segments; on a kept-alive connection the
        // last one waits for our delayed ACK (~40 ms a request). A fresh loopback connection per request
        // is far cheaper than that stall. Upgrades (WebSockets) keep their connection, of course.
        if (!context.WebSockets.IsWebSocketRequest && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>()?.IsUpgradableRequest != true)
        {
            proxyRequest.Headers.ConnectionClose = true;
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext context, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var result = await base.TransformResponseAsync(context, proxyResponse, cancellationToken);
        var location = context.Response.Headers.Location.ToString();
        if (location.Length > 0)
        {
            context.Response.Headers.Location = RewriteLocation(location, prefix, port);
        }

        return result;
    }

    /// <summary>Maps a worker's <c>Location</c> into the content's public path.</summary>
    internal static string RewriteLocation(string location, string prefix, int port)
    {
        if (location.StartsWith('/') && !location.StartsWith("//", StringComparison.Ordinal))
        {
            return prefix + location;
        }

        if (Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.IsLoopback && uri.Port == port)
        {
            return prefix + uri.PathAndQuery + uri.Fragment;
        }

        return location;
    }
}
