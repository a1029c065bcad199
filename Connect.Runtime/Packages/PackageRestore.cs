using System.Text;
using CliWrap.Buffered;
using Connect.Runtime.R;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Packages;

namespace Connect.Runtime.Packages;

/// <summary>
/// Gives a bundle exactly the R packages its manifest lists, at their versions: the system library's copy when it has
/// that version, else the shared cache's, built now when no node has built it yet. The result is the bundle's
/// <see cref="BundleLibrary"/>; a failure names the package and leaves whatever was live untouched.
/// </summary>
internal sealed class PackageRestore(ConnectOptions options, PackageCache cache, PackageRepositories repositories, PackageInstaller installer, RInstallation r,
    Sandbox.ContentSandbox sandbox)
{
    /// <summary>Restores the packages of <paramref name="bundleDirectory"/>, one log line each; null when done, else what failed.</summary>
    public async Task<string?> RestoreAsync(ContentItem content, long bundleId, string bundleDirectory, Func<string, Task> log, CancellationToken cancellationToken)
    {
        var (packages, managed, error) = ManifestPackages.Read(bundleDirectory);
        if (error is not null)
        {
            return error;
        }

        if (packages.Count == 0)
        {
            return null;
        }

        var started = System.Diagnostics.Stopwatch.StartNew();
        SystemLibrary system;
        try
        {
            system = await SystemLibraryAsync(cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }

        if (!managed)
        {
            var missing = packages.Where(p => !system.Installed.ContainsKey(p.Name)).Select(p => p.Name).ToList();
            if (missing.Count > 0)
            {
                return $"the manifest sets environment.environment_management.r to false, so this content uses the system library of {system.Describe()} only, which lacks: {string.Join(", ", missing)}";
            }

            await log($"R packages are not managed for this content (environment_management.r is false): it uses the system library of {system.Describe()} as it is");
            new BundleLibrary(system.RVersion, system.Platform, Managed: false, []).Write(cache, bundleId);
            return null;
        }

        // Everything that cannot be restored at all is reported together, before anything is downloaded.
        var plans = packages.Select(p => (Package: p, Plan: Plan(system, p))).ToList();
        var impossible = plans.Where(p => p.Plan.Problem is not null).Select(p => $"{p.Package}: {p.Plan.Problem}").ToList();
        if (impossible.Count > 0)
        {
            return $"R packages this content needs cannot be restored on this server: {string.Join("; ", impossible)}";
        }

        await log($"Restoring {packages.Count} R package(s) for {system.Describe()}");
        var library = new List<LibraryPackage>();
        var entries = new Dictionary<string, string>(StringComparer.Ordinal); // name: its cache entry
        var byName = packages.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var (package, plan) in plans)
        {
            if (plan.FromSystem is { } fromSystem)
            {
                await log($"  {package.Name} {fromSystem.Version}: system library");
                library.Add(fromSystem);
                continue;
            }

            var dependencies = DependenciesOf(package, byName).Where(entries.ContainsKey).Select(name => entries[name]).ToList();
            var outcome = await installer.EnsureAsync(system, package, plan.Candidates!, dependencies, content, cancellationToken);
            if (outcome.Error is not null)
            {
                return $"R package {package} {outcome.Error}";
            }

            var where = outcome.Repository is not null ? $"installed from {outcome.Repository} in {outcome.Took.TotalSeconds:0.0} s"
                : outcome.Waited ? "package cache (built by another deploy while this one waited)" : "package cache";
            await log($"  {package}: {where}");
            library.Add(new LibraryPackage(package.Name, package.Version, PackageOrigin.Cache, package.Source,
                PackageCache.RepositoryOf(outcome.Entry!), Path.GetRelativePath(cache.Root, outcome.Entry!)));
            entries[package.Name] = outcome.Entry!;
        }

        new BundleLibrary(system.RVersion, system.Platform, Managed: true, library).Write(cache, bundleId);
        var built = library.Count(p => p.Origin == PackageOrigin.Cache);
        await log($"R packages ready in {started.Elapsed.TotalSeconds:0.00} s: {library.Count - built} from the system library, {built} from the package cache");
        return null;
    }

    /// <summary>The names of the listed packages <paramref name="package"/> needs, directly or through others.</summary>
    private static IReadOnlyList<string> DependenciesOf(ManifestPackage package, IReadOnlyDictionary<string, ManifestPackage> byName)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(package.Dependencies);
        while (pending.TryPop(out var name))
        {
            if (byName.TryGetValue(name, out var dependency) && found.Add(name))
            {
                foreach (var next in dependency.Dependencies)
                {
                    pending.Push(next);
                }
            }
        }

        return [.. found];
    }

    /// <summary>Where a package will come from: the system library, one of some repositories, or nowhere (and why).</summary>
    private sealed record RestorePlan(LibraryPackage? FromSystem, IReadOnlyList<PackageRepository>? Candidates, string? Problem);

    private RestorePlan Plan(SystemLibrary system, ManifestPackage package)
    {
        var systemVersion = system.Installed.GetValueOrDefault(package.Name);
        if (package.Version is null || systemVersion == package.Version)
        {
            return systemVersion is null
                ? new RestorePlan(null, null, "not installed on this server, and the manifest names no version to install")
                : new RestorePlan(new LibraryPackage(package.Name, systemVersion, PackageOrigin.System, package.Source, null, null), null, null);
        }

        var installedHere = systemVersion is null ? "the system library does not have it" : $"the system library has {systemVersion}";
        if (package.IsRemote)
        {
            return new RestorePlan(null, null, $"it comes from '{package.Source}', which this server does not install from (only CRAN-like repositories), "
                + $"and {installedHere}; publish it to a repository, or ask an administrator to install that version on the server");
        }

        var candidates = repositories.For(package);
        if (candidates.Count == 0)
        {
            var strict = options.R.PackageRepositoryResolution == PackageRepositoryResolution.Strict;
            return new RestorePlan(null, null, $"there is no repository to install it from: {(strict ? "R.PackageRepositoryResolution is strict and " : "the manifest names no URL and ")}"
                + $"no [RPackageRepository \"{package.Source}\"] is configured; {installedHere}");
        }

        return new RestorePlan(null, candidates, null);
    }

    /// <summary>
    /// The packages bundle <paramref name="bundleId"/> takes from the system library that the system library no longer
    /// has (an administrator removed them), by name: why its R process may have failed to start.
    /// </summary>
    public async Task<IReadOnlyList<string>> MissingFromSystemAsync(long bundleId, string bundleDirectory, CancellationToken cancellationToken)
    {
        var library = BundleLibrary.Read(cache, bundleId);
        var fromSystem = library is not null
            ? library.Packages.Where(p => p.Origin == PackageOrigin.System).Select(p => p.Name).ToList()
            : ManifestPackages.Read(bundleDirectory).Packages.Select(p => p.Name).ToList();
        if (fromSystem.Count == 0)
        {
            return [];
        }

        var system = await SystemLibraryAsync(cancellationToken);
        return fromSystem.Where(name => !system.Installed.ContainsKey(name)).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The library folders bundle <paramref name="bundleId"/> runs with, ahead of the system library. When the cache no
    /// longer holds some of them (an administrator cleared it), or they were built for another version of R, they are
    /// built again first.
    /// </summary>
    /// <exception cref="InvalidOperationException">They could not be restored; the message says why.</exception>
    public async Task<IReadOnlyList<string>> FoldersForAsync(ContentItem content, long bundleId, string bundleDirectory, Func<string, Task> log, CancellationToken cancellationToken)
    {
        var library = BundleLibrary.Read(cache, bundleId);
        if (library is null)
        {
            return [];
        }

        var folders = library.Folders(cache);
        var current = folders.Count == 0 ? null : await r.VersionAsync(cancellationToken);
        var otherR = current is not null && current != library.RVersion;
        if (folders.All(Directory.Exists) && !otherR)
        {
            return folders;
        }

        // Packages built for another R (this node's R was upgraded) must be built again: compiled code and R's own
        // serialized files belong to the R that built them.
        await log(otherR
            ? $"This content's R packages were restored for R {library.RVersion}, and this node runs R {current}; restoring them for it"
            : "Some R packages of this content are no longer in the package cache; restoring them");
        if (await RestoreAsync(content, bundleId, bundleDirectory, log, cancellationToken) is { } error)
        {
            throw new InvalidOperationException(error);
        }

        return BundleLibrary.Read(cache, bundleId)?.Folders(cache) ?? [];
    }

    /// <summary>Whether bundle <paramref name="bundleId"/> runs with packages from the cache (a spare R process cannot serve it).</summary>
    public bool UsesCache(long bundleId) => BundleLibrary.Read(cache, bundleId)?.Packages.Any(p => p.Entry is not null) == true;

    /// <summary>This R's version, platform and the packages its own library holds, listed by R in the sandbox.</summary>
    private async Task<SystemLibrary> SystemLibraryAsync(CancellationToken cancellationToken)
    {
        var rscript = r.Rscript ?? throw new InvalidOperationException($"R is not installed ({r.Describe()})");
        // Sandboxed like content: nothing that runs R on this node sees the node's secrets.
        await using var sandboxed = await sandbox.PrepareAsync(rscript, ["--vanilla", "-e", SystemLibrary.Script],
            Sandbox.SandboxView.Empty, null, null, new Dictionary<string, string>(), cancellationToken, network: false);
        var command = sandboxed.Command;
        var result = await await Sandbox.ForkThread.RunAsync(() => command.ExecuteBufferedAsync(Encoding.UTF8, cancellationToken).Task);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"listing R packages failed: {result.StandardError.Trim()}");
        }

        return SystemLibrary.Parse(result.StandardOutput);
    }
}
