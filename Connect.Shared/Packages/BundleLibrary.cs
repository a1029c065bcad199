using System.Text.Json;
using System.Text.Json.Serialization;

namespace Connect.Shared.Packages;

/// <summary>Where one package of a bundle comes from.</summary>
public static class PackageOrigin
{
    /// <summary>The R installation's own library has that exact version.</summary>
    public const string System = "system";

    /// <summary>An entry of the package cache.</summary>
    public const string Cache = "cache";
}

/// <summary>One package of a bundle's library.</summary>
/// <param name="Entry">Its cache entry, relative to <see cref="PackageCache.Root"/>, when it comes from the cache.</param>
public sealed record LibraryPackage(string Name, string? Version, string Origin, string? Source, string? Repository, string? Entry);

/// <summary>
/// The library a bundle runs with, decided when it was deployed: its cache entries go on <c>.libPaths()</c> ahead of
/// the system library. Kept as <c>{DataDir}/packages/bundles/{id}.json</c>, written by the node only, read by every node.
/// A bundle without one (deployed before packages were restored, or opting out) runs with the system library.
/// </summary>
public sealed record BundleLibrary(string RVersion, string Platform, bool Managed, IReadOnlyList<LibraryPackage> Packages)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The folders to put on <c>.libPaths()</c> ahead of the system library, in dependency order.</summary>
    public IReadOnlyList<string> Folders(PackageCache cache) =>
        Packages.Where(p => p.Entry is not null).Select(p => Path.Combine(cache.Root, p.Entry!)).ToList();

    public static string PathOf(PackageCache cache, long bundleId) => Path.Combine(cache.Root, "bundles", $"{bundleId}.json");

    /// <summary>The library of bundle <paramref name="bundleId"/>, or null when it has none.</summary>
    public static BundleLibrary? Read(PackageCache cache, long bundleId)
    {
        try
        {
            return JsonSerializer.Deserialize<BundleLibrary>(File.ReadAllBytes(PathOf(cache, bundleId)), Json);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Writes it whole or not at all (a temporary file renamed over the old one).</summary>
    public void Write(PackageCache cache, long bundleId)
    {
        var path = PathOf(cache, bundleId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, Json));
        File.Move(temporary, path, overwrite: true);
    }
}
