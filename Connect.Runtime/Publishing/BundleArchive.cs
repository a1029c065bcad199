using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Hashing;
using Connect.Shared.Content;

namespace Connect.Runtime.Publishing;

/// <summary>
/// Extracts an uploaded bundle (a gzip-compressed tar) into an empty folder, refusing anything that
/// could write outside it: absolute names, <c>..</c> segments, links that point out, device files.
/// The caller deletes the folder when extraction fails, so a bad bundle leaves nothing behind.
/// </summary>
internal static class BundleArchive
{
    /// <param name="maxEntries">Files, folders and links the bundle may hold: a small archive of many empty files costs the
    /// disk's inodes and every later walk of the data directory (backups, deletes) what its bytes do not show.</param>
    public static async Task<string?> ExtractAsync(Stream gzip, string destination, long maxExtractedBytes, int maxEntries, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        long total = 0;
        var entries = 0;
        try
        {
            if (gzip.CanSeek)
            {
                if (await CheckGzipAsync(gzip, maxExtractedBytes, cancellationToken) is { } corrupt)
                {
                    return corrupt;
                }

                gzip.Seek(0, SeekOrigin.Begin);
            }

            await using var decompressed = new GZipStream(gzip, CompressionMode.Decompress, leaveOpen: true);
            await using var reader = new TarReader(decompressed, leaveOpen: true);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
            {
                var name = entry.Name.Replace('\\', '/');
                if (name.StartsWith("./", StringComparison.Ordinal))
                {
                    name = name[2..];
                }

                if (name.Length == 0 || name == "." || entry.EntryType is TarEntryType.GlobalExtendedAttributes)
                {
                    continue;
                }

                if (++entries > maxEntries)
                {
                    return $"the bundle holds more than {maxEntries:N0} files and folders (Applications.MaxBundleFiles)";
                }

                if (ResolveInside(root, name) is not { } target)
                {
                    return $"the bundle's entry '{entry.Name}' points outside the bundle";
                }

                // Checking names lexically is only sound if nothing is written through a link the
                // bundle itself made (a link to "." followed by "link/../x" would escape).
                if (PassesThroughLink(root, target))
                {
                    return $"the bundle's entry '{entry.Name}' is inside a symbolic link";
                }

                if (new FileInfo(target).LinkTarget is not null)
                {
                    File.Delete(target);
                }

                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(target);
                        break;

                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        total += entry.Length;
                        if (total > maxExtractedBytes)
                        {
                            return $"the bundle unpacks to more than {maxExtractedBytes / (1024 * 1024)} MiB";
                        }

                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        await using (var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None))
                        {
                            if (entry.DataStream is not null)
                            {
                                await entry.DataStream.CopyToAsync(file, cancellationToken);
                            }
                        }

                        break;

                    case TarEntryType.SymbolicLink:
                        var linkTarget = entry.LinkName.Replace('\\', '/');
                        var linkDirectory = Path.GetDirectoryName(name.TrimEnd('/')) ?? "";
                        if (linkTarget.StartsWith('/') || !IsInside(root, Path.GetFullPath(Path.Combine(root, linkDirectory, linkTarget))))
                        {
                            return $"the bundle's symbolic link '{entry.Name}' -> '{entry.LinkName}' points outside the bundle";
                        }

                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        File.CreateSymbolicLink(target, linkTarget);
                        break;

                    default:
                        return $"the bundle's entry '{entry.Name}' is a {entry.EntryType}, which bundles may not contain";
                }
            }
        }
        catch (InvalidDataException e)
        {
            return $"the bundle is not a gzip-compressed tar archive ({e.Message})";
        }
        catch (FormatException e)
        {
            return $"the bundle is not a valid tar archive ({e.Message})";
        }
        catch (EndOfStreamException)
        {
            return "the bundle is truncated";
        }

        return LinkLeavingTheBundle(root);
    }

    /// <summary>
    /// Each link's target was checked as text when it was made, but links can lead through each other
    /// (<c>a -&gt; .</c>, <c>b -&gt; a/..</c>, then <c>x -&gt; b/etc/passwd</c>). Once the whole tree is on disk,
    /// follow every link as the kernel would and refuse the bundle if one ends outside it or nowhere.
    /// </summary>
    private static string? LinkLeavingTheBundle(string root)
    {
        var realRoot = RealPath.Resolve(root)!;
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (entry.LinkTarget is null)
            {
                continue;
            }

            var real = RealPath.Resolve(entry.FullName);
            if (real is null || !RealPath.Contains(realRoot, real))
            {
                var name = Path.GetRelativePath(root, entry.FullName);
                return real is null
                    ? $"the bundle's symbolic link '{name}' -> '{entry.LinkTarget}' leads nowhere (a missing target or a loop)"
                    : $"the bundle's symbolic link '{name}' -> '{entry.LinkTarget}' leads outside the bundle";
            }
        }

        return null;
    }

    /// <summary>
    /// A first, write-nothing pass: GZipStream does not check the gzip trailer, so damage inside the
    /// compressed data can decode to plausible bytes. Decompress it all, compare CRC-32 and length with
    /// the trailer, and refuse archives that inflate beyond the limit before a single file is written.
    /// </summary>
    private static async Task<string?> CheckGzipAsync(Stream gzip, long maxExtractedBytes, CancellationToken cancellationToken)
    {
        var content = new Crc32ReadStream(new GZipStream(gzip, CompressionMode.Decompress, leaveOpen: true));
        var buffer = new byte[81920];
        // Tar headers and padding come on top of the files themselves.
        var limit = maxExtractedBytes + maxExtractedBytes / 10 + (1 << 20);
        while (await content.ReadAsync(buffer, cancellationToken) > 0)
        {
            if (content.Length > limit)
            {
                return $"the bundle unpacks to more than {maxExtractedBytes / (1024 * 1024)} MiB";
            }
        }

        if (gzip.Length < 18)
        {
            return "the bundle is not a gzip-compressed tar archive (it is too short)";
        }

        var trailer = new byte[8];
        gzip.Seek(-8, SeekOrigin.End);
        gzip.ReadExactly(trailer);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(trailer.AsSpan(4));
        return crc == content.Crc && length == (uint)content.Length
            ? null
            : "the bundle is not a gzip-compressed tar archive (its gzip checksum does not match: the file is corrupt or truncated)";
    }

    /// <summary>Passes reads through while computing the CRC-32 and length of everything read.</summary>
    private sealed class Crc32ReadStream(Stream inner) : Stream
    {
        private readonly Crc32 _crc = new();

        public uint Crc => _crc.GetCurrentHashAsUInt32();

        public override long Length => Position;

        public override long Position { get; set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            _crc.Append(buffer[..read]);
            Position += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            _crc.Append(buffer.Span[..read]);
            Position += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>The full path of <paramref name="relative"/> under <paramref name="root"/>, or null if it would leave it.</summary>
    private static string? ResolveInside(string root, string relative)
    {
        if (relative.StartsWith('/') || relative.Contains('\0') || relative.Split('/').Contains(".."))
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(root, relative));
        return IsInside(root, full) ? full : null;
    }

    private static bool PassesThroughLink(string root, string target)
    {
        for (var dir = Path.GetDirectoryName(target); dir is not null && dir.Length > root.Length; dir = Path.GetDirectoryName(dir))
        {
            if (new DirectoryInfo(dir).LinkTarget is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInside(string root, string full) =>
        full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
