using System.Collections.Concurrent;

namespace Connect.Shared.Data;

/// <summary>
/// What this node knows of the database right now, from every call that reports here (the node's heartbeat and the
/// reads that serve viewers): whether calls are failing, and whether one has been waiting too long. A refused
/// connection fails at once, but a database that hangs (a frozen server, a failover, a stalled network) answers
/// nothing at all; counting the calls still waiting is how a node sees that within a second or two instead of when
/// some timeout finally fires.
/// </summary>
public sealed class DatabaseHealth(TimeProvider clock)
{
    /// <summary>A call waiting longer than this means the database is stalled.</summary>
    public static readonly TimeSpan StallAfter = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<long, DateTimeOffset> _waiting = new();
    private long _nextCall;
    private readonly Lock _lock = new();
    private DateTimeOffset? _failingSince;
    private DateTimeOffset? _backAt;

    /// <summary>Since when calls have been failing (refused, broken or timed out), or null since one last succeeded.</summary>
    public DateTimeOffset? UnreachableSince
    {
        get { lock (_lock) { return _failingSince; } }
    }

    /// <summary>When a call last succeeded again after calls had failed.</summary>
    public DateTimeOffset? BackAt
    {
        get { lock (_lock) { return _backAt; } }
    }

    /// <summary>Since when the oldest call still waiting has waited, if that is longer than <see cref="StallAfter"/>.</summary>
    public DateTimeOffset? StalledSince
    {
        get
        {
            var oldest = _waiting.Values.DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
            return clock.GetUtcNow() - oldest >= StallAfter ? oldest : null;
        }
    }

    /// <summary>Failing or stalled: since when, or null while the database answers.</summary>
    public DateTimeOffset? DegradedSince => UnreachableSince is { } failing && StalledSince is { } stalled
        ? (failing < stalled ? failing : stalled)
        : UnreachableSince ?? StalledSince;

    /// <summary>
    /// True while calls fail or stall, and for <paramref name="grace"/> after they succeed again. Every node's
    /// heartbeats stop during an outage, so until the nodes have had time to heartbeat again a stale heartbeat says
    /// nothing about whether its node is alive.
    /// </summary>
    public bool RecentlyCutOff(TimeSpan grace) =>
        DegradedSince is not null || BackAt is { } back && clock.GetUtcNow() - back < grace;

    /// <summary>Counts a call as waiting until the result is disposed.</summary>
    public IDisposable Waiting()
    {
        var id = Interlocked.Increment(ref _nextCall);
        _waiting[id] = clock.GetUtcNow();
        return new Call(this, id);
    }

    public void Answered()
    {
        lock (_lock)
        {
            if (_failingSince is not null)
            {
                _failingSince = null;
                _backAt = clock.GetUtcNow();
            }
        }
    }

    public void Failed()
    {
        lock (_lock)
        {
            _failingSince ??= clock.GetUtcNow();
        }
    }

    private sealed class Call(DatabaseHealth health, long id) : IDisposable
    {
        public void Dispose() => health._waiting.TryRemove(id, out _);
    }
}
