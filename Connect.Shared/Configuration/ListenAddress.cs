using System.Globalization;
using System.Net;

namespace Connect.Shared.Configuration;

/// <summary>An <c>HTTP.Listen</c>-style address: <c>:3939</c> (every interface), <c>127.0.0.1:3939</c> or <c>host:3939</c>.</summary>
public sealed record ListenAddress(string? Host, int Port)
{
    public static bool TryParse(string text, out ListenAddress address)
    {
        address = new ListenAddress(null, 0);
        var colon = text.LastIndexOf(':');
        if (colon < 0
            || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        address = new ListenAddress(host.Length == 0 ? null : host, port);
        return true;
    }

    /// <summary>The URL a Kestrel endpoint binds to.</summary>
    public string ToBindUrl() => Host switch
    {
        null or "0.0.0.0" or "*" => $"http://0.0.0.0:{Port}",
        _ when IPAddress.TryParse(Host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 => $"http://[{Host}]:{Port}",
        _ => $"http://{Host}:{Port}",
    };

    /// <summary>The URL other nodes and tools use to reach this node directly.</summary>
    public string ToReachableUrl(string fallbackHost) => Host switch
    {
        null or "0.0.0.0" or "*" or "::" => $"http://{fallbackHost}:{Port}",
        _ => ToBindUrl(),
    };
}
