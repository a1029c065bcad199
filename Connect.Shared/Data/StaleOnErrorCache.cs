using System.Collections.Concurrent;

namespace Connect.Shared.Data;

/// <summary>
/// Answers read from the database, kept for a short freshness so a busy key costs one read per period.
/// While the database is away the last known answer keeps being given (content keeps being served, known
/// keys and sessions keep working), and for <see cref="BackOff"/> after a refused read no caller waits for
/// the database's refusal again.
/// </summary>
public sealed class StaleOnErrorCache<TKey, TValue>(TimeSpan freshness, TimeProvider clock)
    where TKey : notnull
{
    /// <summary>After the database failed to answer, how long known answers are given without asking it again.</summary>
    public static readonly TimeSpan BackOff = TimeSpan.FromSeconds(1);

    /// <summary>More keys than this (a flood of made-up keys, say) empties the cache rather than grow it without end.</summary>
    private const int Capacity = 10_000;

    private readonly ConcurrentDictionary<TKey, (TValue Value, DateTimeOffset At)> _entries = new();

    // UTC ticks, read and written whole by every request thread.
    private long _backOffUntil;

    /// <summary>The fresh answer for <paramref name="key"/>, else <paramref name="read"/>'s, else (database away) the last known one.</summary>
    public async Task<TValue> GetAsync(TKey key, Func<Task<TValue>> read)
    {
        var now = clock.GetUtcNow();
        var known = _entries.TryGetValue(key, out var hit);
        if (known && (now - hit.At < freshness || now.UtcTicks < Volatile.Read(ref _backOffUntil)))
        {
            return hit.Value;
        }

        TValue value;
        try
        {
            value = await read();
        }
        catch (Exception e) when (known && DatabaseErrors.IsConnectionProblem(e))
        {
            Volatile.Write(ref _backOffUntil, (now + BackOff).UtcTicks);
            return hit.Value;
        }

        if (_entries.Count > Capacity)
        {
            _entries.Clear();
        }

        _entries[key] = (value, now);
        return value;
    }

    public void Forget(TKey key) => _entries.TryRemove(key, out _);
}
