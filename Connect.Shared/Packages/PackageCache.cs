using System.Security.Cryptography;
using System.Text;
using Connect.Shared.Configuration;
using Connect.Shared.Files;

namespace Connect.Shared.Packages;

/// <summary>One installed package in the cache.</summary>
/// <param name="Path">Its folder: a library holding just this package.</param>
public sealed record CacheEntry(string Runtime, string Name, string Version, string? Repository, string Path);

/// <summary>
/// The package cache all nodes share, under <c>{DataDir}/packages/cache/</c>:
/// <c>R-{version}/{platform}-{os}/{name}/{version}/{source}/</c> is a library holding one installed package, where
/// <c>{source}</c> stands for the repository URL it came from and the entries it was built against. Those belong in the
/// key: building a package loads its dependencies, so a dependency from elsewhere (a publisher's own repository) could
/// change what is built, and compiled code links against its dependencies' headers. An entry is built in a
/// <c>.{source}.partial-…</c> folder beside it and renamed into place when complete, so a folder at an entry's path is
/// always a whole package.
/// </summary>
public sealed class PackageCache(ConnectOptions options)
{
    private const string PartialMarker = ".partial-";

    /// <summary>The file in an entry naming the repository it came from (R ignores files in a library).</summary>
    public const string SourceFile = ".connect-repository";

    /// <summary>Everything the node keeps for packages: the cache and the libraries of bundles.</summary>
    public string Root => Path.Combine(options.DataDir, DataLayout.Packages);

    public string CacheRoot => Path.Combine(Root, "cache");

    /// <summary>
    /// The entry of <paramref name="name"/> <paramref name="version"/> for the R <paramref name="runtime"/>
    /// (<c>R-4.2.2/x86_64-pc-linux-gnu-debian-12</c>) built from <paramref name="repository"/> against the entries
    /// <paramref name="dependencies"/> (full paths).
    /// </summary>
    public string EntryPath(string runtime, string name, string version, string repository, IReadOnlyList<string> dependencies) =>
        Path.Combine(CacheRoot, runtime, name, version, SourceId(repository, dependencies.Select(d => Path.GetRelativePath(CacheRoot, d))));

    /// <summary>A short, path-safe name for a repository URL and the entries a build used.</summary>
    public static string SourceId(string repository, IEnumerable<string> dependencies) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', dependencies.Order(StringComparer.Ordinal).Prepend(repository.TrimEnd('/'))))))[..16];

    /// <summary>The cluster-wide lock of one package version for one R: held while it is built, so it is built once.</summary>
    public static long LockKey(string runtime, string name, string version) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes($"package-cache/{runtime}/{name}/{version}")), 0);

    /// <summary>A new folder to build <paramref name="entry"/> in, beside it.</summary>
    public static string NewPartial(string entry, string nodeName) =>
        Path.Combine(Path.GetDirectoryName(entry)!, $".{Path.GetFileName(entry)}{PartialMarker}{nodeName}-{Guid.NewGuid():N}");

    /// <summary>
    /// Removes what builds of <paramref name="entry"/> left behind (a node killed mid-install). Only the holder of the
    /// entry's lock calls this, so no build of it is running anywhere.
    /// </summary>
    public static int SweepPartials(string entry)
    {
        var folder = Path.GetDirectoryName(entry)!;
        if (!Directory.Exists(folder))
        {
            return 0;
        }

        var prefix = $".{Path.GetFileName(entry)}{PartialMarker}";
        var swept = 0;
        foreach (var partial in Directory.EnumerateDirectories(folder, prefix + "*"))
        {
            NoFollowTree.Delete(partial); // an install wrote it: links in it are removed, never followed
            swept++;
        }

        return swept;
    }

    /// <summary>Every complete entry, for the API and the console.</summary>
    public IReadOnlyList<CacheEntry> Entries()
    {
        var entries = new List<CacheEntry>();
        if (!Directory.Exists(CacheRoot))
        {
            return entries;
        }

        foreach (var runtime in Directory.EnumerateDirectories(CacheRoot, "R-*"))
        {
            foreach (var entry in Directory.EnumerateDirectories(runtime, "*", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3 }))
            {
                var relative = Path.GetRelativePath(runtime, entry).Split('/');
                if (relative.Length == 4 && !relative[3].StartsWith('.') && File.Exists(Path.Combine(entry, relative[1], "DESCRIPTION")))
                {
                    entries.Add(new CacheEntry($"{Path.GetFileName(runtime)}/{relative[0]}", relative[1], relative[2], RepositoryOf(entry), entry));
                }
            }
        }

        return entries;
    }

    /// <summary>The R versions the cache holds packages for (<c>4.2.2</c>), each with its folder.</summary>
    public IReadOnlyList<(string Version, string Folder)> Runtimes() =>
        Directory.Exists(CacheRoot)
            ? Directory.EnumerateDirectories(CacheRoot, "R-*").Select(f => (Path.GetFileName(f)[2..], f)).OrderBy(r => r.Item1, StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The bytes of the files under <paramref name="folder"/>, links not followed.</summary>
    public static long SizeOf(string folder) =>
        NoFollowTree.Walk(folder, _ => false, (_, _) => { }).Sum(e => e.Info is FileInfo { LinkTarget: null } file ? file.Length : 0);

    /// <summary>The repository an entry was built from (its <see cref="SourceFile"/>), or null.</summary>
    public static string? RepositoryOf(string entry)
    {
        try
        {
            return File.ReadAllText(Path.Combine(entry, SourceFile)).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
