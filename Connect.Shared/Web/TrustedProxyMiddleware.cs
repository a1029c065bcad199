using Connect.Shared.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace Connect.Shared.Web;

public static class TrustedProxyMiddleware
{
    /// <summary>
    /// Believes <c>X-Forwarded-For/Proto/Host</c> only from the load balancers named in
    /// <c>LoadBalancing.TrustedProxies</c> (none by default, not even loopback): from anyone else the
    /// headers are ignored here and dropped before a request reaches content.
    /// </summary>
    public static void UseTrustedProxies(this IApplicationBuilder app, ConnectOptions options)
    {
        var trusted = TrustedProxies.Parse(options.LoadBalancing.TrustedProxies);
        if (trusted.Count == 0)
        {
            return;
        }

        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost };
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var network in trusted)
        {
            forwarded.KnownIPNetworks.Add(network);
        }

        app.UseForwardedHeaders(forwarded);
    }
}
