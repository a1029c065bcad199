using System.Net.Sockets;
using Connect.Shared.Data;
using Microsoft.Extensions.Time.Testing;

namespace Connect.Shared.Tests.Data;

public sealed class LastAnswerCacheTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private int _reads;

    private Func<Task<string>> Answer(string value) => () =>
    {
        Interlocked.Increment(ref _reads);
        return Task.FromResult(value);
    };

    private Func<Task<string>> Refusal() => () =>
    {
        Interlocked.Increment(ref _reads);
        throw new SocketException((int)SocketError.ConnectionRefused);
    };

    [Fact]
    public async Task A_fresh_answer_is_given_without_reading_and_a_stale_one_is_read_again()
    {
        var cache = new LastAnswerCache<string, string>(TimeSpan.FromSeconds(1), _clock);

        Assert.Equal("a", await cache.GetAsync("k", Answer("a")));
        Assert.Equal("a", await cache.GetAsync("k", Answer("b")));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("b", await cache.GetAsync("k", Answer("b")));
        cache.Forget("k");
        Assert.Equal("c", await cache.GetAsync("k", Answer("c")));

        Assert.Equal(3, _reads);
    }

    [Fact]
    public async Task While_the_database_is_away_the_last_answer_is_given_and_asked_again_only_after_the_back_off()
    {
        var cache = new LastAnswerCache<string, string>(TimeSpan.FromSeconds(1), _clock);
        await cache.GetAsync("k", Answer("known"));
        _clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal("known", await cache.GetAsync("k", Refusal()));
        Assert.Equal("known", await cache.GetAsync("k", Refusal()));
        Assert.Equal(2, _reads);
        _clock.Advance(LastAnswerCache<string, string>.BackOff);
        Assert.Equal("back", await cache.GetAsync("k", Answer("back")));
    }

    [Fact]
    public async Task An_unknown_key_or_an_error_that_is_not_the_database_being_away_is_thrown()
    {
        var cache = new LastAnswerCache<string, string>(TimeSpan.FromSeconds(1), _clock);

        await Assert.ThrowsAsync<SocketException>(() => cache.GetAsync("never-read", Refusal()));
        await cache.GetAsync("k", Answer("known"));
        _clock.Advance(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync("k", () => throw new InvalidOperationException("a bug")));
    }

    [Fact]
    public async Task A_read_that_hangs_is_shared_and_callers_that_know_an_answer_get_it_once_their_patience_is_spent()
    {
        var health = new DatabaseHealth(_clock);
        var cache = new LastAnswerCache<string, string>(TimeSpan.FromSeconds(1), _clock, health);
        await cache.GetAsync("k", Answer("known"));
        _clock.Advance(TimeSpan.FromSeconds(2));
        var started = new TaskCompletionSource();
        var never = new TaskCompletionSource<string>();
        Func<CancellationToken, Task<string>> hang = _ =>
        {
            Interlocked.Increment(ref _reads);
            started.TrySetResult();
            return never.Task;
        };

        var first = cache.GetAsync("k", hang);
        var second = cache.GetAsync("k", hang);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(first.IsCompleted);
        _clock.Advance(LastAnswerCache<string, string>.Patience);

        Assert.Equal("known", await first.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("known", await second.WaitAsync(TimeSpan.FromSeconds(10)));
        // Later callers do not wait at all while the read is still out, and it is still the only one.
        Assert.Equal("known", await cache.GetAsync("k", hang).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(2, _reads);
        _clock.Advance(DatabaseHealth.StallAfter);
        Assert.NotNull(health.StalledSince);
        Assert.NotNull(health.DegradedSince);
    }

    [Fact]
    public async Task A_caller_that_knows_nothing_waits_for_the_read_and_gets_a_timeout_at_its_deadline()
    {
        var health = new DatabaseHealth(_clock);
        var cache = new LastAnswerCache<string, string>(TimeSpan.FromSeconds(1), _clock, health);
        var started = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource<bool>();
        var waiting = cache.GetAsync("k", token =>
        {
            token.Register(() => cancelled.TrySetResult(true));
            started.TrySetResult();
            return new TaskCompletionSource<string>().Task;
        });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        _clock.Advance(LastAnswerCache<string, string>.ReadDeadline);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains("did not answer", error.Message);
        Assert.True(await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)), "the read's command was not cancelled");
        Assert.NotNull(health.UnreachableSince);
        Assert.Equal("back", await cache.GetAsync("k", Answer("back")));
        Assert.Null(health.UnreachableSince);
    }
}
