using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Connect.Runtime.Operations;

/// <summary>
/// One entry of a backup: its path under <c>files/</c> (relative to the data directory), and for a file its size,
/// hash and mode; a folder (kept even when empty) or a symbolic link is marked as such. A file an incremental
/// backup did not copy again names the backup folder that holds its bytes in <see cref="Source"/>.
/// </summary>
public sealed record BackupFile(string Path, long Size, string? Sha256, int Mode, string? LinkTarget = null, bool Folder = false, string? Source = null);

/// <summary>
/// What a backup holds, written last (a backup without one is incomplete): the versions it was taken with and
/// every file with its SHA-256, so a restore can check all of it before changing anything.
/// </summary>
public sealed record BackupManifest(
    int Format,
    DateTimeOffset CreatedAt,
    string ConnectVersion,
    int SchemaVersion,
    string Provider,
    BackupFile Database,
    IReadOnlyList<BackupFile> Files,
    string? Since = null)
{
    public const string FileName = "manifest.json";
    public const string FilesFolder = "files";
    public const string DatabaseFolder = "database";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public async Task WriteAsync(string folder, CancellationToken cancellationToken)
    {
        await using var stream = File.Create(System.IO.Path.Combine(folder, FileName));
        await JsonSerializer.SerializeAsync(stream, this, Json, cancellationToken);
    }

    /// <summary>The manifest of the backup in <paramref name="folder"/>, or why there is none.</summary>
    public static async Task<(BackupManifest? Manifest, string? Problem)> ReadAsync(string folder, CancellationToken cancellationToken)
    {
        var path = System.IO.Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return (null, $"{path} does not exist: {folder} is not a complete backup");
        }

        try
        {
            await using var stream = File.OpenRead(path);
            var manifest = await JsonSerializer.DeserializeAsync<BackupManifest>(stream, Json, cancellationToken);
            return manifest is { Format: 1, Files: not null, Database: not null }
                ? (manifest, null)
                : (null, $"{path} is not a backup manifest this binary knows (format 1)");
        }
        catch (JsonException e)
        {
            return (null, $"{path} is damaged: {e.Message}");
        }
    }

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> with the mode <paramref name="mode"/>, hashing the bytes as they are written.</summary>
    public static async Task<BackupFile> CopyAsync(string source, string destination, string relative, int mode, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, useAsync: true);
        var copied = await CopyAsync(input, destination, relative, (UnixFileMode)mode, cancellationToken);
        return copied with { Mode = mode };
    }

    /// <summary>
    /// Copies <paramref name="input"/> into a new file <paramref name="destination"/> made with <paramref name="destinationMode"/>
    /// (a backup's copies are the backup owner's alone, 0600, whatever the original's mode, which the manifest keeps).
    /// </summary>
    public static async Task<BackupFile> CopyAsync(Stream input, string destination, string relative, UnixFileMode destinationMode, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(destination)!);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16, Options = FileOptions.Asynchronous, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var output = new FileStream(destination, options))
        {
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }

        File.SetUnixFileMode(destination, destinationMode);
        return new BackupFile(relative, new FileInfo(destination).Length, Convert.ToHexStringLower(hash.GetHashAndReset()), (int)destinationMode);
    }

    /// <summary>Where the bytes of <paramref name="file"/> of the backup in <paramref name="folder"/> are.</summary>
    public static string Location(string folder, BackupFile file) => System.IO.Path.Combine(file.Source ?? folder, FilesFolder, file.Path);

    /// <summary>The SHA-256 of a file, for checking a backup before it is restored.</summary>
    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
