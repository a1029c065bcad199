using System.Diagnostics;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Data;

namespace Connect.Runtime.Operations;

/// <summary>
/// Restores a backup into the configured database and data directory, both of which must be empty. Everything is
/// checked first (the manifest, then every file against its size and SHA-256): a damaged or missing file is named
/// and nothing is changed.
/// </summary>
internal sealed class Restore(ConnectOptions options, ConnectDatabase database, TextWriter progress)
{
    public async Task RunAsync(string fromFolder, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var from = Path.GetFullPath(fromFolder);
        var (manifest, problem) = await BackupManifest.ReadAsync(from, cancellationToken);
        if (manifest is null)
        {
            throw new BackupRefused(problem!);
        }

        if (manifest.SchemaVersion > Migrations.Latest)
        {
            throw new BackupRefused($"the backup is of schema version {manifest.SchemaVersion}, newer than this binary's {Migrations.Latest}; restore with connect {manifest.ConnectVersion} or later.");
        }

        var provider = database.Provider.ToString().ToLowerInvariant();
        if (manifest.Provider != provider)
        {
            throw new BackupRefused(
                $"the backup is of a {manifest.Provider} database and this configuration uses {provider}; restore into {manifest.Provider}" +
                (manifest.Provider == "sqlite" ? ", then move it with connect migrate-database --to postgres." : "."));
        }

        await VerifyAsync(from, manifest, cancellationToken);
        await progress.WriteLineAsync($"verified {manifest.Files.Count(f => f.Sha256 is not null):N0} files and the database against the manifest of {manifest.CreatedAt:u}");
        await CheckTargetIsEmptyAsync(cancellationToken);

        var databaseFile = Path.Combine(from, BackupManifest.DatabaseFolder, manifest.Database.Path);
        if (database is SqliteDatabase sqlite)
        {
            // Checking the target may have left an empty file; it is replaced whole, with nothing of it kept open.
            Directory.CreateDirectory(Path.GetDirectoryName(sqlite.FilePath)!);
            var restoring = sqlite.FilePath + ".restoring";
            File.Delete(restoring);
            await BackupManifest.CopyAsync(databaseFile, restoring, manifest.Database.Path, (int)(UnixFileMode.UserRead | UnixFileMode.UserWrite), cancellationToken);
            File.SetUnixFileMode(restoring, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(sqlite.FilePath + "-wal");
            File.Delete(sqlite.FilePath + "-shm");
            File.Move(restoring, sqlite.FilePath, overwrite: true);
        }
        else
        {
            await PostgresTools.RestoreAsync(((PostgresDatabase)database).ConnectionString, databaseFile, cancellationToken);
        }

        await progress.WriteLineAsync($"database: restored into {database.Description}");
        await RestoreFilesAsync(from, manifest, cancellationToken);
        await progress.WriteLineAsync($"restore complete in {clock.Elapsed.TotalSeconds:0.0} s; start the nodes (schema {manifest.SchemaVersion}, taken with connect {manifest.ConnectVersion})");
    }

    private async Task VerifyAsync(string from, BackupManifest manifest, CancellationToken cancellationToken)
    {
        var damaged = new List<string>();
        var files = manifest.Files.Where(f => f.Sha256 is not null)
            .Select(f => (Entry: f, Path: BackupManifest.Location(from, f)))
            .Prepend((manifest.Database, Path.Combine(from, BackupManifest.DatabaseFolder, manifest.Database.Path)));
        var checkedCount = 0;
        foreach (var (entry, path) in files)
        {
            // A path in the manifest must stay inside its backup (a hand-edited manifest must not read elsewhere).
            var holder = entry.Source ?? from;
            if (!Path.GetFullPath(path).StartsWith(Path.Combine(holder, BackupManifest.FilesFolder) + "/", StringComparison.Ordinal)
                && !Path.GetFullPath(path).StartsWith(Path.Combine(from, BackupManifest.DatabaseFolder) + "/", StringComparison.Ordinal))
            {
                damaged.Add($"{entry.Path} (outside the backup)");
            }
            else if (!File.Exists(path))
            {
                damaged.Add(entry.Source is null ? $"{entry.Path} (missing)" : $"{entry.Path} (missing from the earlier backup {entry.Source})");
            }
            else if (new FileInfo(path).Length != entry.Size || await BackupManifest.HashAsync(path, cancellationToken) != entry.Sha256)
            {
                damaged.Add($"{entry.Path} (its content differs from the manifest)");
            }

            if (++checkedCount % 1000 == 0)
            {
                await progress.WriteLineAsync($"verified {checkedCount:N0} files");
            }
        }

        if (damaged.Count > 0)
        {
            throw new BackupRefused($"the backup in {from} is damaged; nothing was changed. {damaged.Count} file(s): {string.Join(", ", damaged.Take(10))}");
        }
    }

    private async Task CheckTargetIsEmptyAsync(CancellationToken cancellationToken)
    {
        var version = await new SchemaState(database).ReadDatabaseVersionAsync(cancellationToken);
        if (version > 0)
        {
            var running = (await new NodeRegistry(database, TimeProvider.System).ListAsync(cancellationToken))
                .Where(n => n.Status == NodeStatus.Running).Select(n => n.Name).ToList();
            throw new BackupRefused(running.Count > 0
                ? $"node(s) {string.Join(", ", running)} are running against {database.Description}; stop every node, and restore into an empty database."
                : $"{database.Description} already holds a Connect database (schema {version}); restore into an empty one. Nothing was changed.");
        }

        var own = options.NodeLocalFolders;
        if (Directory.Exists(options.DataDir)
            && Directory.EnumerateFileSystemEntries(options.DataDir).FirstOrDefault(e => !own.Contains(e.TrimEnd('/'))) is { } entry)
        {
            throw new BackupRefused($"the data directory {options.DataDir} is not empty ({Path.GetFileName(entry)}); restore into an empty one. Nothing was changed.");
        }
    }

    private async Task RestoreFilesAsync(string from, BackupManifest manifest, CancellationToken cancellationToken)
    {
        var dataDir = Directory.CreateDirectory(options.DataDir).FullName;
        foreach (var entry in manifest.Files)
        {
            var target = Path.Combine(dataDir, entry.Path);
            if (entry.Folder)
            {
                Directory.CreateDirectory(target);
            }
            else if (entry.LinkTarget is { } link)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.CreateSymbolicLink(target, link);
            }
            else
            {
                await BackupManifest.CopyAsync(BackupManifest.Location(from, entry), target, entry.Path, entry.Mode, cancellationToken);
            }
        }

        // Folder modes last, deepest first: a read-only folder must be filled before it is made read-only.
        foreach (var folder in manifest.Files.Where(f => f.Folder).OrderByDescending(f => f.Path.Count(c => c == '/')))
        {
            File.SetUnixFileMode(Path.Combine(dataDir, folder.Path), (UnixFileMode)folder.Mode);
        }

        // Content's homes stay root's here: each is given to its item's uid when the item next starts, by a walk that
        // re-owns links themselves and never what they point to (a link planted in a home must not hand over a host file).

        await progress.WriteLineAsync($"data directory: {manifest.Files.Count(f => !f.Folder):N0} files restored into {dataDir}");
    }
}
