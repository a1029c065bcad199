using System.Collections.Concurrent;
using Connect.Shared.Content;

namespace Connect.Runtime.Content;

/// <summary>
/// Finds a content item and its active bundle for a viewer's request. Answers are kept for
/// <see cref="Freshness"/>, so a busy item costs a database round trip a second instead of two per
/// request; a redeploy (on any node) is therefore seen within that second.
/// </summary>
internal sealed class ContentLookup(ContentRepository contents, BundleRepository bundles, TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, (ContentItem? Content, Bundle? Bundle, DateTimeOffset At)> _cache = new(StringComparer.Ordinal);

    public async Task<(ContentItem? Content, Bundle? Bundle)> FindAsync(string guid, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(guid, out var hit) && now - hit.At < Freshness)
        {
            return (hit.Content, hit.Bundle);
        }

        var content = await contents.GetAsync(guid, cancellationToken);
        var bundle = content?.ActiveBundleId is { } id ? await bundles.GetAsync(id, cancellationToken) : null;
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        _cache[guid] = (content, bundle, now);
        return (content, bundle);
    }

    /// <summary>Drops what this node knows of an item at once (after its own deploy or delete).</summary>
    public void Forget(string guid) => _cache.TryRemove(guid, out _);
}
