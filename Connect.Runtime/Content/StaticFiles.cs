using System.Collections.Concurrent;
using System.IO.Compression;

namespace Connect.Runtime.Content;

/// <summary>
/// A file that may be served, with what its validators need, and its bytes when it is small; a small text file also
/// comes compressed (Brotli and gzip) when that saves at least a tenth.
/// </summary>
internal sealed record StaticFile(string Path, long Length, DateTime LastWriteTimeUtc, byte[]? Bytes = null, byte[]? Brotli = null, byte[]? Gzip = null)
{
    /// <summary>Whether a compressed form exists: its answers then vary with <c>Accept-Encoding</c>.</summary>
    public bool IsCompressed => Brotli is not null || Gzip is not null;

    /// <summary>Bytes held in memory for this file, in all its forms.</summary>
    public long MemoryBytes => (Bytes?.Length ?? 0) + (Brotli?.Length ?? 0) + (Gzip?.Length ?? 0);
}

/// <summary>
/// What a request path under a content root resolves to, kept for a second. Resolving it walks the path twice with
/// <c>realpath</c> (a system call per segment) and stats the file: as much as the rest of a static request. A bundle
/// never changes once extracted and a render writes a new folder, so a second's memory serves a busy file from RAM;
/// a path that is not servable is remembered too, so probing made-up paths costs no more than asking once. Small
/// files come with their bytes, so a busy page's assets are sent without opening a file at all, and small text files
/// with their compressed forms, made once for as long as the file is known.
/// </summary>
internal sealed class StaticFiles(TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    /// <summary>More entries than this (a crawl of made-up paths) empties the memory rather than grow it.</summary>
    private const int Capacity = 10_000;

    /// <summary>Files up to this size are kept in memory: sent without opening the file, the common case of a page's assets.</summary>
    public const int SmallFile = 32 * 1024;

    /// <summary>At most this many bytes of small files are held (1,000 of the largest); beyond it the memory is emptied.</summary>
    private const long MaxBytes = 1000L * SmallFile;

    private long _bytes;

    private readonly ConcurrentDictionary<(string Root, string Relative), (StaticFile? File, DateTimeOffset At)> _known = new();

    public StaticFile? Find(string root, string relative)
    {
        var now = clock.GetUtcNow();
        var known = _known.TryGetValue((root, relative), out var hit);
        if (known && now - hit.At < Freshness)
        {
            return hit.File;
        }

        // A file seen again unchanged keeps its compressed forms: they are made once, not once a second.
        var file = Read(root, relative, known ? hit.File : null);
        var grown = (file?.MemoryBytes ?? 0) - (known ? hit.File?.MemoryBytes ?? 0 : 0);
        if (_known.Count > Capacity || Interlocked.Add(ref _bytes, grown) > MaxBytes)
        {
            _known.Clear();
            Interlocked.Exchange(ref _bytes, file?.MemoryBytes ?? 0);
        }

        _known[(root, relative)] = (file, now);
        return file;
    }

    private static StaticFile? Read(string root, string relative, StaticFile? before)
    {
        if (ContentEndpoint.ServableFile(root, relative) is not { } path)
        {
            return null;
        }

        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return null;
            }

            if (before is { Bytes: not null } && before.Path == path && before.Length == info.Length && before.LastWriteTimeUtc == info.LastWriteTimeUtc)
            {
                return before;
            }

            var bytes = info.Length <= SmallFile ? File.ReadAllBytes(path) : null;
            // A file that changed while it was read is sent from disk instead.
            if (bytes is null || bytes.Length != info.Length)
            {
                return new StaticFile(path, info.Length, info.LastWriteTimeUtc);
            }

            return Compressible(path, bytes.Length)
                ? new StaticFile(path, info.Length, info.LastWriteTimeUtc, bytes, Smaller(bytes, s => new BrotliStream(s, CompressionLevel.Optimal, leaveOpen: true)),
                    Smaller(bytes, s => new GZipStream(s, CompressionLevel.Optimal, leaveOpen: true)))
                : new StaticFile(path, info.Length, info.LastWriteTimeUtc, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Text worth compressing: below a few hundred bytes the headers cost more than compression saves.</summary>
    private static bool Compressible(string path, int length) =>
        length >= MinCompressible && CompressibleExtensions.Contains(System.IO.Path.GetExtension(path));

    private const int MinCompressible = 512;

    private static readonly HashSet<string> CompressibleExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".html", ".htm", ".css", ".js", ".mjs", ".json", ".map", ".svg", ".txt", ".xml", ".csv", ".tsv", ".md",
    };

    /// <summary>
    /// The compressed bytes, or null when they do not save at least a tenth. At the optimal level, not the smallest:
    /// the first viewer of a file waits for it, and Brotli's smallest is many times slower for a few percent.
    /// </summary>
    private static byte[]? Smaller(byte[] bytes, Func<Stream, Stream> compressor)
    {
        using var output = new MemoryStream();
        using (var compressing = compressor(output))
        {
            compressing.Write(bytes);
        }

        return output.Length <= bytes.Length * 9L / 10 ? output.ToArray() : null;
    }
}
