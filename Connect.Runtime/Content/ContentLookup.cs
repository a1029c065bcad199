using System.Collections.Concurrent;
using Connect.Shared.Content;
using Connect.Shared.Data;

namespace Connect.Runtime.Content;

/// <summary>
/// Finds a content item and its active bundle (and a viewer's role on it) for a viewer's request.
/// Answers are kept for <see cref="Freshness"/>, so a busy item costs a database round trip a second
/// instead of two per request; a redeploy (on any node) is therefore seen within that second.
/// </summary>
internal sealed class ContentLookup(ContentRepository contents, BundleRepository bundles, TimeProvider clock)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    /// <summary>After the database failed to answer, how long known answers are used without asking it again.</summary>
    public static readonly TimeSpan DatabaseBackOff = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, (ContentItem? Content, Bundle? Bundle, DateTimeOffset At)> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(long Content, long User), (string? Role, DateTimeOffset At)> _roles = new();

    // UTC ticks, read and written whole by every request thread.
    private long _databaseBackOffUntil;

    public async Task<(ContentItem? Content, Bundle? Bundle)> FindAsync(string guid, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(guid, out var hit) && (now - hit.At < Freshness || InBackOff(now)))
        {
            return (hit.Content, hit.Bundle);
        }

        ContentItem? content;
        Bundle? bundle;
        try
        {
            content = await contents.GetAsync(guid, cancellationToken);
            bundle = content?.ActiveBundleId is { } id ? await bundles.GetAsync(id, cancellationToken) : null;
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e) && _cache.ContainsKey(guid))
        {
            // The database is away: what was last known keeps running content served until it is back,
            // and for a second no request waits for the database's refusal again.
            BackOff(now);
            return (hit.Content, hit.Bundle);
        }

        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }

        _cache[guid] = (content, bundle, now);
        return (content, bundle);
    }

    /// <summary>
    /// The role a signed-in user holds on an item through its permission list, known for the same second
    /// (and, while the database is away, for as long as that lasts).
    /// </summary>
    public async Task<string?> RoleOfAsync(long contentId, long userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var key = (contentId, userId);
        if (_roles.TryGetValue(key, out var hit) && (now - hit.At < Freshness || InBackOff(now)))
        {
            return hit.Role;
        }

        try
        {
            var role = await contents.RoleOfAsync(contentId, userId, cancellationToken);
            if (_roles.Count > 10_000)
            {
                _roles.Clear();
            }

            _roles[key] = (role, now);
            return role;
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e) && _roles.ContainsKey(key))
        {
            BackOff(now);
            return hit.Role;
        }
    }

    private bool InBackOff(DateTimeOffset now) => now.UtcTicks < Volatile.Read(ref _databaseBackOffUntil);

    private void BackOff(DateTimeOffset now) => Volatile.Write(ref _databaseBackOffUntil, (now + DatabaseBackOff).UtcTicks);

    /// <summary>Drops what this node knows of an item at once (after its own deploy or delete).</summary>
    public void Forget(string guid) => _cache.TryRemove(guid, out _);
}
