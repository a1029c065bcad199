using System.Collections.Concurrent;

namespace Connect.Runtime.Content;

/// <summary>A file that may be served, with what its validators need, and its bytes when it is small.</summary>
internal sealed record StaticFile(string Path, long Length, DateTime LastWriteTimeUtc, byte[]? Bytes = null);

/// <summary>
/// What a request path under a content root resolves to, kept for a second. Resolving it walks the path twice with
/// <c>realpath</c> (a system call per segment) and stats the file: as much as the rest of a static request. A bundle
/// never changes once extracted and a render writes a new folder, so a second's memory serves a busy file from RAM;
/// a path that is not servable is remembered too, so probing made-up paths costs no more than asking once. Small
/// files come with their bytes, so a busy page's assets are sent without opening a file at all.
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

        var file = Read(root, relative);
        var grown = (file?.Bytes?.Length ?? 0) - (known ? hit.File?.Bytes?.Length ?? 0 : 0);
        if (_known.Count > Capacity || Interlocked.Add(ref _bytes, grown) > MaxBytes)
        {
            _known.Clear();
            Interlocked.Exchange(ref _bytes, file?.Bytes?.Length ?? 0);
        }

        _known[(root, relative)] = (file, now);
        return file;
    }

    private static StaticFile? Read(string root, string relative)
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

            var bytes = info.Length <= SmallFile ? File.ReadAllBytes(path) : null;
            // A file that changed while it was read is sent from disk instead.
            return bytes is not null && bytes.Length != info.Length
                ? new StaticFile(path, info.Length, info.LastWriteTimeUtc)
                : new StaticFile(path, info.Length, info.LastWriteTimeUtc, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
