using System.Diagnostics;
using Connect.Runtime.R;
using Connect.Runtime.Sandbox;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Files;
using Connect.Shared.Packages;

namespace Connect.Runtime.Packages;

/// <summary>How one package was found or built: the entry, or why there is none.</summary>
/// <param name="Repository">Where it was installed from, when this deploy installed it.</param>
internal sealed record InstallOutcome(string? Entry, string? Error, string? Repository = null, TimeSpan Took = default, bool Waited = false);

/// <summary>
/// Puts one package version into the shared cache, once for the whole cluster: under a database lock per package
/// version (an advisory lock on PostgreSQL), built in a partial folder beside its entry and renamed into place only
/// when complete. The build is <c>R CMD INSTALL</c> in the sandbox as the item that needs it, with that item's network
/// and memory limit and <c>R.PackageInstallTimeout</c>; at most <c>Server.CompilationConcurrency</c> run on a node at once.
/// </summary>
internal sealed partial class PackageInstaller(
    ConnectOptions options, ConnectDatabase database, PackageCache cache, PackageRepositories repositories, RInstallation r,
    ContentSandbox sandbox, NodeIdentity node, ILogger<PackageInstaller> logger)
{
    /// <summary>How many lines of R's install output a failure shows.</summary>
    private const int ShownLines = 25;

    private readonly SemaphoreSlim _builds = new(options.Server.CompilationConcurrency);

    /// <summary>
    /// The cache entry of <paramref name="package"/> from the first of <paramref name="candidates"/> that has it: built
    /// already, or built now. <paramref name="dependencies"/> are the cache entries of what it needs
    /// (all of them, its dependencies' dependencies too): it is built against those, and only found again with them.
    /// </summary>
    public async Task<InstallOutcome> EnsureAsync(SystemLibrary system, ManifestPackage package, IReadOnlyList<PackageRepository> candidates,
        IReadOnlyList<string> dependencies, ContentItem content, CancellationToken cancellationToken)
    {
        // Only the first repository's entry is taken without asking: a later repository's build is used only once the
        // ones before it have been asked and do not have the package, as a download would go.
        var first = cache.EntryPath(system.CacheKey, package.Name, package.Version!, candidates[0].Url, dependencies);
        if (Directory.Exists(first))
        {
            return new InstallOutcome(first, null);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using (await database.AcquireLockAsync(connection, PackageCache.LockKey(system.CacheKey, package.Name, package.Version!), cancellationToken))
        {
            // Another deploy (here or on another node) may have built it while this one waited for the lock.
            if (Directory.Exists(first))
            {
                return new InstallOutcome(first, null, Waited: true);
            }

            await _builds.WaitAsync(cancellationToken);
            try
            {
                return await BuildAsync(system, package, candidates, dependencies, content, cancellationToken);
            }
            finally
            {
                _builds.Release();
            }
        }
    }

    private async Task<InstallOutcome> BuildAsync(SystemLibrary system, ManifestPackage package, IReadOnlyList<PackageRepository> candidates,
        IReadOnlyList<string> dependencies, ContentItem content, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.R.PackageInstallTimeout);
        var started = Stopwatch.StartNew();
        var tried = new List<string>();
        foreach (var repository in candidates)
        {
            var entry = cache.EntryPath(system.CacheKey, package.Name, package.Version!, repository.Url, dependencies);
            if (Directory.Exists(entry))
            {
                return new InstallOutcome(entry, null); // the repositories before this one do not have it
            }

            string? partial = null;
            try
            {
                if (PackageCache.SweepPartials(entry) is > 0 and var swept)
                {
                    LogSwept(swept, package.Name, package.Version!);
                }

                partial = PackageCache.NewPartial(entry, node.Name);
                // Made readable by every item whatever the node's umask: the build reads the source, every item the entry.
                foreach (var folder in Ancestors(partial, cache.CacheRoot))
                {
                    Directory.CreateDirectory(folder, Readable);
                }

                var source = Directory.CreateDirectory(Path.Combine(partial, "src"), Readable).FullName;
                var tarball = Path.Combine(source, $"{package.Name}_{package.Version}.tar.gz");
                if (await repositories.DownloadAsync(package, repository, tarball, timeout.Token) is { } missing)
                {
                    tried.Add($"{repository.Url} ({missing})");
                    continue;
                }

                var library = Path.Combine(partial, "lib");
                var (exitCode, lastLines) = await RunInstallAsync(content, tarball, library, dependencies, timeout.Token);
                if (exitCode != 0)
                {
                    return new InstallOutcome(null, $"did not build: R CMD INSTALL of the source from {repository.Url} failed (exit code {exitCode}); the end of its output:\n{string.Join("\n", lastLines)}");
                }

                if (Installed(library, package) is { } wrong)
                {
                    return new InstallOutcome(null, $"did not install as published: the source from {repository.Url} {wrong}");
                }

                // CreateNew never follows a link the build may have left under that name (it fails instead).
                await using (var sourceFile = new FileStream(Path.Combine(library, PackageCache.SourceFile), new FileStreamOptions
                {
                    Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = (UnixFileMode)0b110_100_100,
                }))
                {
                    await sourceFile.WriteAsync(System.Text.Encoding.UTF8.GetBytes(repository.Url), timeout.Token);
                }

                File.SetUnixFileMode(library, Readable);
                try
                {
                    Directory.Move(library, entry); // the entry appears whole, or not at all
                }
                catch (IOException) when (Directory.Exists(entry))
                {
                    // Built meanwhile elsewhere (this node's lock went with a database connection that broke): that one is used.
                    return new InstallOutcome(entry, null, repository.Url, started.Elapsed);
                }

                LogBuilt(package.Name, package.Version!, repository.Url, started.Elapsed.TotalSeconds);
                return new InstallOutcome(entry, null, repository.Url, started.Elapsed);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return new InstallOutcome(null, $"was not downloaded and installed from {repository.Url} within R.PackageInstallTimeout ({Shown(options.R.PackageInstallTimeout)})");
            }
            catch (IOException e)
            {
                return new InstallOutcome(null, $"could not be written to the package cache: {e.Message}");
            }
            finally
            {
                if (partial is not null && Directory.Exists(partial))
                {
                    NoFollowTree.Delete(partial);
                }
            }
        }

        var message = candidates.Count == 1 ? "was not found in its repository: " : "was found in none of the repositories tried: ";
        return new InstallOutcome(null, message + string.Join("; ", tried));
    }

    /// <summary>
    /// <c>R CMD INSTALL</c> of <paramref name="tarball"/> into <paramref name="library"/>, sandboxed as the item: the
    /// source read-only, only the library writable, its dependencies on <c>R_LIBS</c>, files readable by every item (umask 022).
    /// </summary>
    private async Task<(int ExitCode, IReadOnlyList<string> LastLines)> RunInstallAsync(ContentItem content, string tarball, string library,
        IReadOnlyList<string> dependencies, CancellationToken cancellationToken)
    {
        var rExecutable = r.R ?? throw new InvalidOperationException($"R is not installed ({r.Describe()})");
        var source = Path.GetDirectoryName(tarball)!;
        var view = new SandboxView(source, [source], [library], "/tmp", Library: dependencies);
        await using var sandboxed = await sandbox.PrepareAsync("/bin/sh",
            ["-c", "umask 022 && exec \"$0\" \"$@\"", rExecutable, "CMD", "INSTALL", "--no-docs", "--no-html", "--no-demo", "--no-multiarch", $"--library={library}", tarball],
            view, sandbox.UserFor(content), content.Guid, new Dictionary<string, string>(), cancellationToken, memoryLimit: content.Overrides.MemoryLimit);
        var lines = new Queue<string>();
        var exitCode = await sandboxed.RunAsync(line =>
        {
            Keep(lines, line);
            return Task.CompletedTask;
        }, cancellationToken);
        if (sandboxed.Limits.OverMemory)
        {
            Keep(lines, $"[connect] the install went over its memory limit ({new ByteSize(sandboxed.Limits.MemoryBytes)}) and was stopped");
        }

        return (exitCode, lines.ToList());
    }

    /// <summary>rwxr-xr-x: what every item may read and nobody but the node change.</summary>
    private const UnixFileMode Readable = (UnixFileMode)0b111_101_101;

    /// <summary><paramref name="path"/> and its parents below <paramref name="root"/>, outermost first.</summary>
    private static IEnumerable<string> Ancestors(string path, string root)
    {
        var folders = new Stack<string>();
        for (var folder = Path.GetDirectoryName(path); folder is not null && folder.Length >= root.Length; folder = Path.GetDirectoryName(folder))
        {
            folders.Push(folder);
        }

        return folders;
    }

    /// <summary>A duration as the configuration writes it: 20m, 5s.</summary>
    private static string Shown(TimeSpan duration) =>
        duration.TotalMinutes >= 1 && duration.Seconds == 0 ? $"{duration.TotalMinutes:0}m" : $"{duration.TotalSeconds:0.#}s";

    private static void Keep(Queue<string> lines, string line)
    {
        lines.Enqueue(line);
        if (lines.Count > ShownLines)
        {
            lines.Dequeue();
        }
    }

    /// <summary>
    /// Gives the built library to the node (root), never following a link the build made, and checks it holds the
    /// package and version asked for; null when it does, else what is wrong.
    /// </summary>
    private static string? Installed(string library, ManifestPackage package)
    {
        if (RunAsAccount.NodeIsRoot)
        {
            NoFollowTree.Own(library, 0, 0);
        }

        var folder = Path.Combine(library, package.Name);
        var description = Path.Combine(folder, "DESCRIPTION");
        if (NoFollowTree.Describe(folder) is not { } f || (f.Mode & NoFollowTree.TypeMask) != NoFollowTree.FolderType
            || NoFollowTree.Describe(description) is not { } d || (d.Mode & NoFollowTree.TypeMask) != NoFollowTree.RegularType)
        {
            return $"installed no package {package.Name}";
        }

        var version = File.ReadLines(description).Select(l => l.Split(':', 2)).FirstOrDefault(p => p.Length == 2 && p[0] == "Version")?[1].Trim();
        return version == package.Version ? null : $"installed {package.Name} {version}, not {package.Version}";
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Built R package {Name} {Version} from {Repository} into the package cache in {Seconds:0.0} s")]
    private partial void LogBuilt(string name, string version, string repository, double seconds);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Removed {Count} partial build(s) of R package {Name} {Version} left by an install that did not finish")]
    private partial void LogSwept(int count, string name, string version);
}
