namespace Connect.Runtime.Packages;

/// <summary>
/// This node's R: its version, platform, and the packages its own library holds (base, recommended, and what an
/// administrator installed), the first of each name as R would load it.
/// </summary>
internal sealed record SystemLibrary(string RVersion, string Platform, IReadOnlyDictionary<string, string> Installed)
{
    /// <summary>
    /// The part of a cache entry's path that says what the package was built for: R's version and platform and the
    /// operating system's release (compiled code links against its libraries), so nodes that differ never share builds.
    /// </summary>
    public string CacheKey => $"R-{RVersion}/{Platform}-{OperatingSystem}";

    /// <summary>What a deploy log calls it.</summary>
    public string Describe() => $"R {RVersion} ({Platform})";

    private static string OperatingSystem { get; } = ReadOperatingSystem();

    /// <summary>Reads the output of <see cref="Script"/>.</summary>
    public static SystemLibrary Parse(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length < 2 || !ManifestPackages.IsVersion(lines[0]) || lines[1].Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
        {
            throw new InvalidOperationException($"R did not describe itself as expected: {string.Join(" ", lines.Take(2))}");
        }

        var installed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(2))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length == 2)
            {
                installed.TryAdd(parts[0], parts[1]);
            }
        }

        return new SystemLibrary(lines[0], lines[1], installed);
    }

    /// <summary>R code that prints its version, its platform, then "name version" for each installed package in load order.</summary>
    public const string Script = """
        cat(paste0(R.version$major, ".", R.version$minor), R.version$platform, sep = "\n")
        ip <- installed.packages()
        cat(paste(ip[, "Package"], ip[, "Version"]), sep = "\n")
        """;

    private static string ReadOperatingSystem()
    {
        try
        {
            var fields = File.ReadAllLines("/etc/os-release")
                .Select(line => line.Split('=', 2))
                .Where(parts => parts.Length == 2)
                .ToDictionary(parts => parts[0], parts => parts[1].Trim('"'), StringComparer.Ordinal);
            var name = $"{fields.GetValueOrDefault("ID", "linux")}-{fields.GetValueOrDefault("VERSION_ID", "0")}";
            return new string(name.Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_').ToArray());
        }
        catch (IOException)
        {
            return "linux";
        }
    }
}
