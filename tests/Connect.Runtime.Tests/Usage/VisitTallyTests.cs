using Connect.Runtime.Usage;

namespace Connect.Runtime.Tests.Usage;

public sealed class VisitTallyTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Views_of_one_page_by_one_viewer_in_one_second_are_one_tally_and_the_second_under_way_waits()
    {
        var tally = new VisitTally(100);
        tally.Add(1, null, 7, "/", Noon.AddMilliseconds(10));
        tally.Add(1, null, 7, "/", Noon.AddMilliseconds(900));
        tally.Add(1, 5, 7, "/", Noon.AddMilliseconds(20));
        tally.Add(1, null, 7, "/", Noon.AddSeconds(1));

        var closed = tally.Take(Noon.AddSeconds(1).ToUnixTimeSeconds());
        Assert.Equal([(null, 2L, Noon.AddMilliseconds(10)), (5L, 1L, Noon.AddMilliseconds(20))], closed.Select(v => (v.UserId, v.Hits, v.At)));
        var rest = Assert.Single(tally.Take(null));
        Assert.Equal((1L, Noon.AddSeconds(1)), (rest.Hits, rest.At));
        Assert.Empty(tally.Take(null));
    }

    [Fact]
    public async Task No_view_is_lost_or_counted_twice_while_flushes_seal_tallies_under_way()
    {
        var tally = new VisitTally(1_000);
        const int Threads = 4, Each = 200_000;
        long taken = 0;
        using var done = new CancellationTokenSource();
        var flusher = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                Interlocked.Add(ref taken, tally.Take(null).Sum(v => v.Hits));
            }
        });
        Parallel.For(0, Threads, t =>
        {
            for (var i = 0; i < Each; i++)
            {
                Assert.True(tally.Add(1, t % 2, 7, "/", Noon));
            }
        });
        done.Cancel();
        await flusher;
        Assert.Equal(Threads * (long)Each, taken + tally.Take(null).Sum(v => v.Hits));
    }

    [Fact]
    public void Past_its_bound_a_view_is_refused_not_queued()
    {
        var tally = new VisitTally(2);
        Assert.True(tally.Add(1, null, 7, "/a", Noon));
        Assert.True(tally.Add(1, null, 7, "/b", Noon));
        Assert.True(tally.Add(1, null, 7, "/a", Noon));
        Assert.False(tally.Add(1, null, 7, "/c", Noon));
        Assert.Equal(2, tally.Take(null).Count);
        Assert.True(tally.Add(1, null, 7, "/c", Noon));
    }
}
