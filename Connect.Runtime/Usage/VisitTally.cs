using System.Collections.Concurrent;
using Connect.Shared.Usage;

namespace Connect.Runtime.Usage;

/// <summary>
/// Page views counted as they come, one tally per item, viewer, bundle, path and second, so a burst of views of one
/// page costs one row, not one per view; every view is still counted (a row's <c>hits</c>) and listed (the API gives a
/// row's hits one by one). Lock-free on the request path: a flush seals a tally with one atomic exchange, and a view
/// that finds its tally sealed starts a new one.
/// </summary>
internal sealed class VisitTally(int maxTallies)
{
    private readonly ConcurrentDictionary<Key, Count> _open = new();
    private long _tallies;
    private long _order;

    /// <summary>Counts a view; false when <c>maxTallies</c> are open already (it is dropped).</summary>
    public bool Add(long contentId, long? userId, long? bundleId, string path, DateTimeOffset at)
    {
        var key = new Key(contentId, userId, bundleId, path, at.ToUnixTimeSeconds());
        while (true)
        {
            if (!_open.TryGetValue(key, out var count))
            {
                if (Interlocked.Increment(ref _tallies) > maxTallies)
                {
                    Interlocked.Decrement(ref _tallies);
                    return false;
                }

                count = new Count(at, Interlocked.Increment(ref _order));
                if (!_open.TryAdd(key, count))
                {
                    Interlocked.Decrement(ref _tallies);
                    continue; // another view of it made the tally first
                }
            }

            if (Interlocked.Increment(ref count.Hits) > 0)
            {
                return true;
            }

            // Sealed by a flush after it was looked up: the next lookup finds it gone and starts another.
        }
    }

    /// <summary>Seals and takes the tallies of the seconds before <paramref name="beforeSecond"/> (all of them when null), oldest first.</summary>
    public List<ContentVisit> Take(long? beforeSecond)
    {
        var taken = new List<(long Order, ContentVisit Visit)>();
        foreach (var (key, count) in _open)
        {
            if (beforeSecond is { } before && key.Second >= before || !_open.TryRemove(new KeyValuePair<Key, Count>(key, count)))
            {
                continue;
            }

            Interlocked.Decrement(ref _tallies);
            if (Interlocked.Exchange(ref count.Hits, long.MinValue) is var hits and > 0)
            {
                taken.Add((count.Order, new ContentVisit(key.ContentId, key.UserId, key.BundleId, key.Path, count.First, hits)));
            }
        }

        return [.. taken.OrderBy(t => t.Order).Select(t => t.Visit)];
    }

    private readonly record struct Key(long ContentId, long? UserId, long? BundleId, string Path, long Second);

    private sealed class Count(DateTimeOffset first, long order)
    {
        public long Hits;

        public DateTimeOffset First { get; } = first;

        public long Order { get; } = order;
    }
}
