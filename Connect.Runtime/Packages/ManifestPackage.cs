using System.Text.Json;
using System.Text.RegularExpressions;

namespace Connect.Runtime.Packages;

/// <summary>
/// One R package a bundle's <c>manifest.json</c> lists: rsconnect writes the whole dependency tree, each package with
/// the repository name it came from (<c>Source</c>), that repository's URL when it knew it, and its <c>DESCRIPTION</c>.
/// </summary>
/// <param name="Dependencies">The packages it needs installed first (Depends, Imports, LinkingTo), by name.</param>
internal sealed record ManifestPackage(string Name, string? Version, string Source, string? Repository, IReadOnlyList<string> Dependencies)
{
    /// <summary>Sources that are not a CRAN-like repository (rsconnect's and packrat's names for remotes): nothing to download from.</summary>
    private static readonly HashSet<string> Remotes = new(["github", "gitlab", "bitbucket", "git", "svn", "url", "local", "source", "unknown", "xgit"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether it came from a remote (GitHub and the like) rather than a repository.</summary>
    public bool IsRemote => Remotes.Contains(Source);

    /// <summary>What a deploy log calls it.</summary>
    public override string ToString() => Version is null ? Name : $"{Name} {Version}";
}

/// <summary>Reads and checks the packages of a manifest; hostile names and versions never reach a path or a command.</summary>
internal static partial class ManifestPackages
{
    /// <summary>
    /// The packages of the manifest in <paramref name="bundleDirectory"/>, each after those it depends on, and whether
    /// the server manages them (<c>environment.environment_management.r</c>, true unless the manifest says false).
    /// </summary>
    public static (IReadOnlyList<ManifestPackage> Packages, bool Managed, string? Error) Read(string bundleDirectory)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(bundleDirectory, "manifest.json")));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return ([], true, $"manifest.json cannot be read: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            var managed = !(root.TryGetProperty("environment", out var environment) && environment.ValueKind == JsonValueKind.Object
                && environment.TryGetProperty("environment_management", out var management) && management.ValueKind == JsonValueKind.Object
                && management.TryGetProperty("r", out var r) && r.ValueKind == JsonValueKind.False);
            if (!root.TryGetProperty("packages", out var packages) || packages.ValueKind != JsonValueKind.Object)
            {
                return ([], managed, null);
            }

            var read = new List<ManifestPackage>();
            foreach (var entry in packages.EnumerateObject())
            {
                var (package, error) = ReadOne(entry.Name, entry.Value);
                if (error is not null)
                {
                    return ([], managed, error);
                }

                read.Add(package!);
            }

            return (InDependencyOrder(read), managed, null);
        }
    }

    private static (ManifestPackage? Package, string? Error) ReadOne(string name, JsonElement value)
    {
        var shown = name.Length > 40 ? name[..40] + "…" : name;
        if (!IsPackageName(name))
        {
            return (null, $"manifest.json lists a package named '{shown}', which is not an R package name (letters, digits and dots, starting with a letter)");
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return (null, $"manifest.json: package {name} is not an object");
        }

        var description = value.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        var version = Text(description, "Version");
        if (version is not null && !IsVersion(version))
        {
            return (null, $"manifest.json: package {name} has version '{(version.Length > 40 ? version[..40] + "…" : version)}', which is not an R package version (such as 1.2.3 or 0.9-1)");
        }

        if (Text(description, "Package") is { } described && described != name)
        {
            return (null, $"manifest.json: the package listed as {name} describes itself as '{(described.Length > 40 ? described[..40] + "…" : described)}'");
        }

        var source = Text(value, "Source") ?? "unknown";
        var repository = Text(value, "Repository");
        var dependencies = new[] { "Depends", "Imports", "LinkingTo" }
            .SelectMany(field => (Text(description, field) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(dependency => dependency.Split('(', 2)[0].Trim())
            .Where(dependency => dependency.Length > 0 && dependency != "R")
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return (new ManifestPackage(name, version, source, repository, dependencies), null);
    }

    /// <summary>Each package after the listed packages it depends on (cycles, which R refuses anyway, keep the manifest's order).</summary>
    internal static IReadOnlyList<ManifestPackage> InDependencyOrder(IReadOnlyList<ManifestPackage> packages)
    {
        var byName = packages.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var ordered = new List<ManifestPackage>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: being visited, true: placed
        void Visit(ManifestPackage package)
        {
            if (state.ContainsKey(package.Name))
            {
                return;
            }

            state[package.Name] = false;
            foreach (var dependency in package.Dependencies)
            {
                if (byName.TryGetValue(dependency, out var needed))
                {
                    Visit(needed);
                }
            }

            state[package.Name] = true;
            ordered.Add(package);
        }

        foreach (var package in packages.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            Visit(package);
        }

        return ordered;
    }

    /// <summary>R's rule for package names (Writing R Extensions 1.1.1): letters, digits and dots, a letter first, no dot last.</summary>
    public static bool IsPackageName(string name) => name.Length is > 0 and <= 100 && PackageName().IsMatch(name);

    /// <summary>R's package versions: at least two non-negative integers separated by dots or dashes.</summary>
    public static bool IsVersion(string version) => version.Length <= 60 && PackageVersion().IsMatch(version);

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is { Length: > 0 } text ? text : null;

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]$|^[A-Za-z]$")]
    private static partial Regex PackageName();

    [GeneratedRegex("^[0-9]+([.-][0-9]+)+$")]
    private static partial Regex PackageVersion();
}
