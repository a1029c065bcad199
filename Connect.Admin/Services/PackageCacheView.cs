using Connect.Shared.Packages;

namespace Connect.Admin.Services;

/// <summary>One entry of the package cache, with its size on disk.</summary>
public sealed record CachedPackage(CacheEntry Entry, long Bytes);

/// <summary>The package cache all nodes share, as the console's packages page shows it.</summary>
public interface IPackageCacheView
{
    /// <summary>Every complete entry, by R runtime, package and version.</summary>
    Task<IReadOnlyList<CachedPackage>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>Reads the cache from the shared data directory: a walk that never follows a link, off the circuit's thread.</summary>
internal sealed class PackageCacheView(PackageCache cache) : IPackageCacheView
{
    public Task<IReadOnlyList<CachedPackage>> ListAsync(CancellationToken cancellationToken) => Task.Run<IReadOnlyList<CachedPackage>>(() =>
        cache.Entries()
            .Select(e => new CachedPackage(e, PackageCache.SizeOf(e.Path)))
            .OrderBy(p => p.Entry.Runtime, StringComparer.Ordinal).ThenBy(p => p.Entry.Name, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Entry.Version, StringComparer.Ordinal)
            .ToList(), cancellationToken);
}
