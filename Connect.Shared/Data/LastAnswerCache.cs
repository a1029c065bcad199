using System.Collections.Concurrent;

namespace Connect.Shared.Data;

/// <summary>
/// Answers read from the database, kept for a short freshness so a busy key costs one read per period, and given
/// from what was last read whenever the database is slow or away: content that is running keeps being served, and
/// known keys and sessions keep working, through any database stall.
/// <list type="bullet">
/// <item>One read per key at a time: callers that find a read under way join it instead of opening a connection each
/// (a hung database otherwise gets one stuck connection per request, and the pile-up exhausts its slots).</item>
/// <item>A caller that knows an answer waits at most <see cref="Patience"/> for a fresher one, and not at all once a
/// read has been under way that long; a caller that knows none waits for the read, at most <see cref="ReadDeadline"/>.</item>
/// <item>For <see cref="BackOff"/> after a failed read, known answers are given without asking again.</item>
/// </list>
/// </summary>
public sealed class LastAnswerCache<TKey, TValue>(TimeSpan freshness, TimeProvider clock, DatabaseHealth? health = null)
    where TKey : notnull
{
    /// <summary>After the database failed to answer, how long known answers are given without asking it again.</summary>
    public static readonly TimeSpan BackOff = TimeSpan.FromSeconds(1);

    /// <summary>How long a caller with a known answer waits for a fresher one before it is given the known one.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a read may take before it counts as failed (its command is cancelled).</summary>
    public static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(5);

    /// <summary>More keys than this (a flood of made-up keys, say) empties the cache rather than grow it without end.</summary>
    private const int Capacity = 10_000;

    private readonly ConcurrentDictionary<TKey, (TValue Value, DateTimeOffset At)> _entries = new();
    private readonly ConcurrentDictionary<TKey, Read> _reads = new();

    // UTC ticks, read and written whole by every request thread.
    private long _backOffUntil;

    /// <summary>
    /// The fresh answer for <paramref name="key"/>, else <paramref name="read"/>'s if it comes in time, else (database
    /// slow or away) the last known one. <paramref name="read"/> gets a token that ends at its deadline; it is shared
    /// by every caller that joins it, so it must not depend on one caller's request.
    /// </summary>
    public async Task<TValue> GetAsync(TKey key, Func<CancellationToken, Task<TValue>> read, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var known = _entries.TryGetValue(key, out var hit);
        if (known && (now - hit.At < freshness || now.UtcTicks < Volatile.Read(ref _backOffUntil)))
        {
            return hit.Value;
        }

        var pending = _reads.GetOrAdd(key, static (k, state) => new Read(k, state.Cache, state.Read), (Cache: this, Read: read));
        pending.Start();
        if (!known)
        {
            return await pending.Task.WaitAsync(cancellationToken);
        }

        var patience = Patience - (now - pending.StartedAt);
        if (patience <= TimeSpan.Zero && !pending.Task.IsCompleted)
        {
            return hit.Value;
        }

        try
        {
            return await pending.Task.WaitAsync(patience > TimeSpan.Zero ? patience : TimeSpan.Zero, clock, cancellationToken);
        }
        catch (TimeoutException)
        {
            return hit.Value;
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            return hit.Value;
        }
    }

    /// <summary>The same, for a read that needs no token (tests, reads that cannot hang).</summary>
    public Task<TValue> GetAsync(TKey key, Func<Task<TValue>> read) => GetAsync(key, _ => read());

    public void Forget(TKey key) => _entries.TryRemove(key, out _);

    private DateTimeOffset Now => clock.GetUtcNow();

    private void Store(TKey key, TValue value, DateTimeOffset at)
    {
        if (_entries.Count > Capacity)
        {
            _entries.Clear();
        }

        _entries[key] = (value, at);
    }

    /// <summary>One read of one key, shared by every caller that comes while it is under way.</summary>
    private sealed class Read
    {
        private readonly TKey _key;
        private readonly LastAnswerCache<TKey, TValue> _cache;
        private readonly Lazy<Task<TValue>> _task;

        public Read(TKey key, LastAnswerCache<TKey, TValue> cache, Func<CancellationToken, Task<TValue>> read)
        {
            _key = key;
            _cache = cache;
            StartedAt = cache.Now;
            // Started once, by the first caller to find this Read stored (so Done never removes a Read not yet stored).
            _task = new(() => cache.RunAsync(this, key, read));
        }

        public DateTimeOffset StartedAt { get; }

        public Task<TValue> Task => _task.Value;

        public void Start() => _ = _task.Value;

        public void Done() => _cache._reads.TryRemove(new KeyValuePair<TKey, Read>(_key, this));
    }

    private async Task<TValue> RunAsync(Read self, TKey key, Func<CancellationToken, Task<TValue>> read)
    {
        using var waiting = health?.Waiting();
        using var deadline = new CancellationTokenSource(ReadDeadline, clock);
        try
        {
            // WaitAsync as well as the token: a driver stuck on a frozen server may not notice the token at once.
            var value = await read(deadline.Token).WaitAsync(deadline.Token);
            health?.Answered();
            Store(key, value, self.StartedAt);
            return value;
        }
        catch (Exception e) when (e is TimeoutException || e is OperationCanceledException && deadline.IsCancellationRequested)
        {
            Failed();
            throw new TimeoutException($"The database did not answer within {ReadDeadline.TotalSeconds:0} s.", e);
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            Failed();
            throw;
        }
        finally
        {
            self.Done();
        }
    }

    private void Failed()
    {
        health?.Failed();
        Volatile.Write(ref _backOffUntil, (clock.GetUtcNow() + BackOff).UtcTicks);
    }
}
