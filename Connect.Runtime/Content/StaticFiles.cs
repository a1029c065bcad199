using System.Collections.Concurrent;

namespace Connect.Runtime.Content;

/// <summary>A file that may be served, with what its validators need.</summary>
internal sealed record StaticFile(string Path, long Length, DateTime LastWriteTimeUtc);

/// <summary>
/// What a request path under a content root resolves to, kept for a second. Resolving it walks the path twice with
/// <c>realpath</c> (a system call per segment) and stats the file: as much as the rest of a static request. A bundle
/// never changes once extracted and a render writes a new folder, so a second's memory serves a busy file from RAM;
/// a path that is not servable is remembered too, so probing made-up paths costs no more than asking once.
/// </summary>
internal sealed class StaticFiles(TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    /// <summary>More entries than this (a crawl of made-up paths) empties the memory rather than grow it.</summary>
    private const int Capacity = 10_000;

    private readonly ConcurrentDictionary<(string Root, string Relative), (StaticFile? File, DateTimeOffset At)> _known = new();

    public StaticFile? Find(string root, string relative)
    {
        var now = clock.GetUtcNow();
        if (_known.TryGetValue((root, relative), out var hit) && now - hit.At < Freshness)
        {
            return hit.File;
        }

        StaticFile? file = null;
        if (ContentEndpoint.ServableFile(root, relative) is { } path)
        {
            var info = new FileInfo(path);
            file = info.Exists ? new StaticFile(path, info.Length, info.LastWriteTimeUtc) : null;
        }

        if (_known.Count > Capacity)
        {
            _known.Clear();
        }

        _known[(root, relative)] = (file, now);
        return file;
    }
}
