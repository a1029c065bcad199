using System.Net.Sockets;
using Connect.Shared.Data;
using Microsoft.Extensions.Time.Testing;

namespace Connect.Shared.Tests.Data;

public sealed class StaleOnErrorCacheTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private int _reads;

    private Func<Task<string>> Answer(string value) => () =>
    {
        _reads++;
        return Task.FromResult(value);
    };

    private Func<Task<string>> Refusal() => () =>
    {
        _reads++;
        throw new SocketException((int)SocketError.ConnectionRefused);
    };

    [Fact]
    public async Task A_fresh_answer_is_given_without_reading_and_a_stale_one_is_read_again()
    {
        var cache = new StaleOnErrorCache<string, string>(TimeSpan.FromSeconds(1), _clock);

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
        var cache = new StaleOnErrorCache<string, string>(TimeSpan.FromSeconds(1), _clock);
        await cache.GetAsync("k", Answer("known"));
        _clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal("known", await cache.GetAsync("k", Refusal()));
        Assert.Equal("known", await cache.GetAsync("k", Refusal()));
        Assert.Equal(2, _reads);
        _clock.Advance(StaleOnErrorCache<string, string>.BackOff);
        Assert.Equal("back", await cache.GetAsync("k", Answer("back")));
    }

    [Fact]
    public async Task An_unknown_key_or_an_error_that_is_not_the_database_being_away_is_thrown()
    {
        var cache = new StaleOnErrorCache<string, string>(TimeSpan.FromSeconds(1), _clock);

        await Assert.ThrowsAsync<SocketException>(() => cache.GetAsync("never-read", Refusal()));
        await cache.GetAsync("k", Answer("known"));
        _clock.Advance(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<InvalidOperationException>(() => cache.GetAsync("k", () => throw new InvalidOperationException("a bug")));
    }
}
