using System.Net;

namespace Connect.Shared.Configuration;

/// <summary>Parses <c>LoadBalancing.TrustedProxies</c>: IP addresses and CIDR networks, comma-separated.</summary>
public static class TrustedProxies
{
    public static IReadOnlyList<string> Split(string? value) =>
        (value ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static bool TryParse(string text, out IPNetwork network)
    {
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }

    /// <summary>Whether <paramref name="address"/> lies in one of <paramref name="networks"/> (an IPv4 address seen as IPv6 counts as itself).</summary>
    public static bool Contains(IReadOnlyList<IPNetwork> networks, IPAddress? address) =>
        address is not null && networks.Any(n => n.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));

    public static IReadOnlyList<IPNetwork> Parse(string? value) =>
        Split(value).Select(p => TryParse(p, out var n) ? n : throw new FormatException($"'{p}' is not an IP address or network")).ToList();
}
