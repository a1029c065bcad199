using System.Diagnostics;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Files;
using Connect.Shared.Operations;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Connect.Runtime.Operations;

/// <summary>Why a backup or restore did not happen (or stopped); the message names the problem.</summary>
internal sealed class BackupRefused(string message) : Exception(message);

/// <summary>
/// A consistent backup of the database and the data directory together, taken while viewers keep being served:
/// a cluster-wide maintenance pause holds every change to the data directory (deploys, renders, uploads and
/// deletions wait; running Shiny sessions and APIs go on), in-flight deploys and renders are let finish, then the
/// database is copied (SQLite's online backup, or <c>pg_dump</c>) and the data directory after it, every file
/// hashed into the manifest. Nothing of the node-local metrics store or the SQLite file itself is copied twice.
/// </summary>
internal sealed class Backup(ConnectOptions options, ConnectDatabase database, TextWriter progress, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private const UnixFileMode PrivateFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Longest wait for deploys and renders that were running when the pause began.</summary>
    public static readonly TimeSpan InFlightTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Files of an earlier backup that need not be copied again (bundles are never rewritten); empty for a full backup.</summary>
    private Dictionary<string, BackupFile> _earlier = [];

    public async Task<BackupManifest> RunAsync(string outFolder, string? since, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var output = Path.GetFullPath(outFolder);
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
        {
            throw new BackupRefused($"{output} is not empty; give a new folder for each backup.");
        }

        var version = await new SchemaState(database).ReadDatabaseVersionAsync(cancellationToken);
        if (version != Migrations.Latest)
        {
            throw new BackupRefused($"{database.Description} is at schema version {version}, this binary at {Migrations.Latest}: back up with the binary the nodes run.");
        }

        if (since is not null)
        {
            _earlier = await EarlierFilesAsync(Path.GetFullPath(since), cancellationToken);
        }

        // The backup holds every item's home and environment and the session key ring: only its owner may read it.
        Directory.CreateDirectory(output, PrivateFolder);
        File.SetUnixFileMode(output, PrivateFolder);
        var previousMask = umask(0x3F);
        try
        {
            return await RunPausedAsync(output, since, version, clock, cancellationToken);
        }
        finally
        {
            umask(previousMask);
        }
    }

    private async Task<BackupManifest> RunPausedAsync(string output, string? since, int version, Stopwatch clock, CancellationToken cancellationToken)
    {
        var pause = new MaintenancePause(database);
        var holder = $"backup on {Environment.MachineName} (pid {Environment.ProcessId})";
        if (await pause.BeginAsync(holder, $"backup to {output}", cancellationToken) is { } other)
        {
            throw new BackupRefused($"another maintenance pause holds: {other.Reason}, by {other.Holder}, since {other.StartedAt:u}.");
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lapsed = new PauseLapse();
        var heartbeat = KeepAsync(pause, holder, stop, lapsed);
        try
        {
            await progress.WriteLineAsync($"paused deploys, renders, uploads and deletions on every node ({holder}); viewers are still served");
            await WaitForInFlightAsync(pause, stop.Token);
            var databaseFile = await CopyDatabaseAsync(output, stop.Token);
            await progress.WriteLineAsync($"database: {database.Description} copied ({databaseFile.Size:N0} bytes)");
            var files = await CopyDataDirectoryAsync(output, stop.Token);
            await CheckBundlesAsync(files, Path.Combine(output, BackupManifest.DatabaseFolder, databaseFile.Path), stop.Token);
            // The last word before the manifest makes the backup whole: the pause must have held until now. A process
            // stalled between two heartbeats (a hard NFS stall, SIGSTOP) finds out here, not in a restore.
            if (!await pause.HeartbeatAsync(holder, stop.Token))
            {
                lapsed.Reason ??= "it was found lapsed when the copy was done";
            }

            if (lapsed.Reason is { } reason)
            {
                throw lapsed.Refusal(reason);
            }

            var manifest = new BackupManifest(1, _time.GetUtcNow(), NodeVersion.Current, version,
                database.Provider.ToString().ToLowerInvariant(), databaseFile, files, since is null ? null : Path.GetFullPath(since));
            await manifest.WriteAsync(output, stop.Token);
            await progress.WriteLineAsync(
                $"backup complete in {clock.Elapsed.TotalSeconds:0.0} s: {output} ({files.Count:N0} files, {files.Sum(f => f.Size) + databaseFile.Size:N0} bytes)");
            return manifest;
        }
        catch (OperationCanceledException) when (lapsed.Reason is { } reason && !cancellationToken.IsCancellationRequested)
        {
            throw lapsed.Refusal(reason);
        }
        finally
        {
            await stop.CancelAsync();
            await heartbeat;
            await pause.EndAsync(holder, CancellationToken.None);
            await progress.WriteLineAsync("pause ended");
        }
    }

    /// <summary>
    /// Keeps the pause alive; should it lapse (this process or the database stalled past the pause's lifetime, and the
    /// nodes went on meanwhile), the backup is stopped and says why.
    /// </summary>
    private async Task KeepAsync(MaintenancePause pause, string holder, CancellationTokenSource stop, PauseLapse lapsed)
    {
        using var timer = new PeriodicTimer(MaintenancePause.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                if (!await pause.HeartbeatAsync(holder, stop.Token))
                {
                    lapsed.Reason ??= $"its heartbeat was not renewed within {MaintenancePause.Lifetime.TotalSeconds:0} s (this process or the database stalled)";
                    await stop.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            lapsed.Reason ??= $"the database could not be reached to renew it ({e.Message})";
            await stop.CancelAsync();
        }
    }

    /// <summary>Why the pause stopped holding, once it has.</summary>
    private sealed class PauseLapse
    {
        public string? Reason { get; set; }

        public BackupRefused Refusal(string reason) => new(
            $"the maintenance pause lapsed: {reason}. Deploys, renders or deletions may have run meanwhile, so the copy may not match " +
            "the database; the backup was not completed (no manifest was written). Run it again.");
    }

    private async Task WaitForInFlightAsync(MaintenancePause pause, CancellationToken cancellationToken)
    {
        // Nodes check for a pause before each piece of work: one that started just before it is counted below.
        await Task.Delay(MaintenancePause.NoticedWithin, _time, cancellationToken);
        var deadline = _time.GetUtcNow() + InFlightTimeout;
        var reported = DateTimeOffset.MinValue;
        long running;
        while ((running = await pause.InFlightAsync(cancellationToken)) > 0)
        {
            if (_time.GetUtcNow() > deadline)
            {
                throw new BackupRefused($"{running} deploy(s) or render(s) were still running after {InFlightTimeout.TotalMinutes:0} minutes; nothing was backed up.");
            }

            if (_time.GetUtcNow() - reported > TimeSpan.FromSeconds(5))
            {
                reported = _time.GetUtcNow();
                await progress.WriteLineAsync($"waiting for {running} running deploy(s) or render(s) to finish");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), _time, cancellationToken);
        }
    }

    private async Task<BackupFile> CopyDatabaseAsync(string output, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateDirectory(Path.Combine(output, BackupManifest.DatabaseFolder)).FullName;
        if (database is SqliteDatabase sqlite)
        {
            // SQLite's online backup: a consistent copy while the node keeps reading and writing.
            var copy = Path.Combine(folder, "connect.db");
            await using (var source = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = sqlite.FilePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
            await using (var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = copy, Pooling = false }.ToString()))
            {
                await source.OpenAsync(cancellationToken);
                await destination.OpenAsync(cancellationToken);
                source.BackupDatabase(destination);
                await destination.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = DELETE", cancellationToken: cancellationToken));
            }

            return await Describe(copy, "connect.db", cancellationToken);
        }

        var dump = Path.Combine(folder, "connect.pgdump");
        await PostgresTools.DumpAsync(((PostgresDatabase)database).ConnectionString, dump, cancellationToken);
        return await Describe(dump, "connect.pgdump", cancellationToken);
    }

    private static async Task<BackupFile> Describe(string path, string name, CancellationToken cancellationToken) =>
        new(name, new FileInfo(path).Length, await BackupManifest.HashAsync(path, cancellationToken), (int)File.GetUnixFileMode(path));

    /// <summary>
    /// Everything under the data directory but the SQLite database and the node-local metrics stores. Content may be
    /// changing its home as this runs (swapping a folder for a link to a root-only file, say), so the walk never follows a
    /// link: each folder is opened from the one above it without following links, each file the same way, and a link is
    /// recorded as a link. An entry that vanishes or turns into something else mid-walk is named in the report and left
    /// out: it never makes the whole backup fail.
    /// </summary>
    private async Task<List<BackupFile>> CopyDataDirectoryAsync(string output, CancellationToken cancellationToken)
    {
        var dataDir = Path.GetFullPath(options.DataDir);
        var skipped = new HashSet<string>(options.NodeLocalFolders.Select(f => f.TrimEnd('/')), StringComparer.Ordinal) { output.TrimEnd('/') };
        var files = new List<BackupFile>();
        var problems = new List<string>();
        var bytes = 0L;
        var reused = 0;
        var reported = Stopwatch.StartNew();
        var entries = NoFollowTree.Walk(dataDir,
            relative => skipped.Contains(Path.Combine(dataDir, relative)) || Path.GetFileName(relative).StartsWith(".write-check-", StringComparison.Ordinal),
            (relative, why) => problems.Add($"{relative}: {why}"));
        foreach (var entry in entries)
        {
            var relative = entry.RelativePath;
            if (entry.Info.LinkTarget is { } target)
            {
                files.Add(new BackupFile(relative, 0, null, 0, target));
            }
            else if (entry.Info is DirectoryInfo folder)
            {
                files.Add(new BackupFile(relative, 0, null, (int)folder.UnixFileMode, Folder: true));
            }
            else if (await UnchangedSinceAsync(Path.Combine(dataDir, relative), relative, cancellationToken) is { } kept)
            {
                files.Add(kept);
                reused++;
            }
            else
            {
                await using var input = NoFollowTree.OpenFile(entry.Folder, entry.Name, out var problem);
                if (input is null)
                {
                    problems.Add($"{relative}: {problem}");
                    continue;
                }

                var mode = (int)File.GetUnixFileMode(input.SafeFileHandle);
                var file = await BackupManifest.CopyAsync(input, Path.Combine(output, BackupManifest.FilesFolder, relative), relative, PrivateFile, cancellationToken);
                files.Add(file with { Mode = mode });
                bytes += file.Size;
                if (reported.Elapsed > TimeSpan.FromSeconds(5))
                {
                    reported.Restart();
                    await progress.WriteLineAsync($"data directory: {files.Count:N0} files, {bytes:N0} bytes so far");
                }
            }
        }

        foreach (var problem in problems)
        {
            await progress.WriteLineAsync($"left out: {problem}");
        }

        await progress.WriteLineAsync($"data directory: {files.Count(f => !f.Folder && f.Source is null):N0} files, {bytes:N0} bytes copied" +
            (_earlier.Count > 0 ? $"; {reused:N0} unchanged bundle files left in the earlier backup" : "") +
            (problems.Count > 0 ? $"; {problems.Count} entries left out, named above" : ""));
        return files;
    }

    /// <summary>
    /// The earlier backup's entry for a bundle file that has not changed since (same size and SHA-256: read, not
    /// trusted from its date), pointing at the backup that holds its bytes; null when it must be copied.
    /// </summary>
    private async Task<BackupFile?> UnchangedSinceAsync(string path, string relative, CancellationToken cancellationToken)
    {
        if (!_earlier.TryGetValue(relative, out var earlier) || earlier.Sha256 is null || new FileInfo(path).Length != earlier.Size
            || !(relative.StartsWith("bundles/", StringComparison.Ordinal) || relative.StartsWith("apps/", StringComparison.Ordinal)))
        {
            return null;
        }

        return await BackupManifest.HashAsync(path, cancellationToken) == earlier.Sha256 ? earlier : null;
    }

    /// <summary>The bundle folders a copied database names: the SQLite copy read as it is, or the rows of a PostgreSQL dump.</summary>
    internal async Task<IReadOnlyList<string>> BundlePathsInAsync(string databaseCopy, CancellationToken cancellationToken)
    {
        if (database.Provider == DatabaseProvider.Postgres)
        {
            return [.. (await PostgresTools.ColumnFromDumpAsync(databaseCopy, "bundles", "path", cancellationToken)).OfType<string>()];
        }

        await using var connection = new SqliteConnection(
            new SqliteConnectionStringBuilder { DataSource = databaseCopy, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<string>(new CommandDefinition("SELECT path FROM bundles", cancellationToken: cancellationToken))];
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int umask(int mask);

    /// <summary>The files of the backup in <paramref name="since"/>, each with the folder that holds its bytes.</summary>
    private async Task<Dictionary<string, BackupFile>> EarlierFilesAsync(string since, CancellationToken cancellationToken)
    {
        var (manifest, problem) = await BackupManifest.ReadAsync(since, cancellationToken);
        if (manifest is null)
        {
            throw new BackupRefused($"--since: {problem}");
        }

        if (manifest.Provider != database.Provider.ToString().ToLowerInvariant())
        {
            throw new BackupRefused($"--since: {since} is a backup of a {manifest.Provider} database, this one is {database.Provider.ToString().ToLowerInvariant()}.");
        }

        return manifest.Files.Where(f => f.Sha256 is not null)
            .ToDictionary(f => f.Path, f => f with { Source = f.Source ?? since }, StringComparer.Ordinal);
    }

    /// <summary>
    /// Every bundle the copied database names must be in the copied data directory (the pause makes it so; this says it
    /// did). The copy is what a restore gets, so it is the copy that is read: the live database may have moved on.
    /// </summary>
    private async Task CheckBundlesAsync(List<BackupFile> files, string databaseCopy, CancellationToken cancellationToken)
    {
        var folders = files.Where(f => f.Folder).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var missing = (await BundlePathsInAsync(databaseCopy, cancellationToken))
            .Where(path => !folders.Contains(path.TrimEnd('/')))
            .ToList();
        if (missing.Count > 0)
        {
            throw new BackupRefused($"the data directory lacks {missing.Count} bundle folder(s) the database names (first: {missing[0]}); the backup is incomplete.");
        }
    }
}
