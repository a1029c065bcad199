namespace Connect.Shared.Configuration;

/// <summary><c>Applications.RunAsRange</c>: the user ids items run as, one each, the first plus the item's id.</summary>
public sealed record UidRange(long First, long Last)
{
    /// <summary>Below this are system and login accounts; 2^32-1 is "no user" to the kernel.</summary>
    private const long LowestAllowed = 65536, HighestAllowed = uint.MaxValue - 1;

    /// <summary>The uid of the item with database id <paramref name="contentId"/>, or null when the range is too small for it.</summary>
    public int? UidOf(long contentId) =>
        contentId >= 0 && First + contentId <= Last ? unchecked((int)(uint)(First + contentId)) : null;

    /// <summary>Parses <c>FIRST-LAST</c>, or <c>none</c> (a null range).</summary>
    public static bool TryParse(string? text, out UidRange? range, out string? problem)
    {
        range = null;
        problem = null;
        var value = text?.Trim() ?? "";
        if (value.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var parts = value.Split('-');
        if (parts.Length != 2 || !long.TryParse(parts[0], out var first) || !long.TryParse(parts[1], out var last))
        {
            problem = $"'{text}' is not a range of user ids such as 1800000000-1899999999 (or none)";
            return false;
        }

        if (first < LowestAllowed || last > HighestAllowed || last < first + 999)
        {
            problem = $"'{text}' must lie within {LowestAllowed}-{HighestAllowed}, clear of system and login accounts, and hold at least 1000 ids";
            return false;
        }

        range = new UidRange(first, last);
        return true;
    }

    /// <summary>The configured range (the configuration was validated), or null for <c>none</c>.</summary>
    public static UidRange? From(ApplicationsOptions options) =>
        TryParse(options.RunAsRange, out var range, out _) ? range : null;
}
