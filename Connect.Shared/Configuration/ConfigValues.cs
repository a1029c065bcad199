using System.Globalization;
using System.Text.RegularExpressions;

namespace Connect.Shared.Configuration;

/// <summary>A size in bytes, written in the configuration as <c>5 MB</c>, <c>512KiB</c> or a plain byte count.</summary>
public readonly record struct ByteSize(long Bytes)
{
    public override string ToString() => Bytes switch
    {
        >= 1L << 30 when Bytes % (1L << 30) == 0 => $"{Bytes >> 30} GiB",
        >= 1L << 20 when Bytes % (1L << 20) == 0 => $"{Bytes >> 20} MiB",
        >= 1L << 10 when Bytes % (1L << 10) == 0 => $"{Bytes >> 10} KiB",
        _ => $"{Bytes} B",
    };
}

/// <summary>Parsers for the value syntaxes the configuration file accepts.</summary>
public static partial class ConfigValues
{
    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*", RegexOptions.IgnoreCase)]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex SizePattern();

    /// <summary>Parses <c>500ms</c>, <c>5s</c>, <c>3m</c>, <c>1h</c>, <c>2d</c> and sums like <c>1m30s</c>.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var rest = text.Trim();
        if (rest.Length == 0)
        {
            return false;
        }

        while (rest.Length > 0)
        {
            var match = DurationPart().Match(rest);
            if (!match.Success)
            {
                return false;
            }

            var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            duration += match.Groups[2].Value.ToLowerInvariant() switch
            {
                "ms" => TimeSpan.FromMilliseconds(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                "h" => TimeSpan.FromHours(amount),
                _ => TimeSpan.FromDays(amount),
            };
            rest = rest[match.Length..];
        }

        return true;
    }

    /// <summary>Parses sizes: KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB powers of 1024.</summary>
    public static bool TryParseSize(string text, out ByteSize size)
    {
        size = default;
        var match = SizePattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups[2].Value.ToLowerInvariant();
        double multiplier = unit switch
        {
            "" or "b" => 1,
            "kb" => 1e3,
            "mb" => 1e6,
            "gb" => 1e9,
            "tb" => 1e12,
            "kib" => 1L << 10,
            "mib" => 1L << 20,
            "gib" => 1L << 30,
            _ => 1L << 40,
        };
        size = new ByteSize((long)Math.Round(amount * multiplier));
        return true;
    }

    public static bool TryParseBool(string text, out bool value)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "true" or "yes" or "on" or "1":
                value = true;
                return true;
            case "false" or "no" or "off" or "0":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
