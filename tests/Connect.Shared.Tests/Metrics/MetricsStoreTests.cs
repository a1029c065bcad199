using Connect.Shared.Metrics;
using Connect.Testing;

namespace Connect.Shared.Tests.Metrics;

public sealed class MetricsStoreTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _folder = new("connect-metrics");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Each_range_reads_its_resolution_and_minutes_and_hours_are_averages()
    {
        using var store = new MetricsStore(_folder.Path);
        // Two hours of 5-second samples: 0, 1, 2, ... per sample within each minute (average 5.5).
        for (var t = TimeSpan.Zero; t < TimeSpan.FromHours(2); t += TimeSpan.FromSeconds(5))
        {
            store.Write(Start + t, [new Sample("cpu", t.Seconds / 5), new Sample("bad", double.NaN)]);
        }

        var now = Start + TimeSpan.FromHours(2);
        var hour = store.Read("cpu", ChartRange.Hour, now);
        var day = store.Read("cpu", ChartRange.Day, now);
        var month = store.Read("cpu", ChartRange.Month, now);

        Assert.Equal(720, hour.Count);
        Assert.Equal(120, day.Count);
        Assert.All(day, p => Assert.Equal(5.5, p.Value, 6));
        Assert.Equal(2, month.Count);
        Assert.All(month, p => Assert.Equal(5.5, p.Value, 6));
        Assert.Empty(store.Read("bad", ChartRange.Hour, now));
        Assert.Empty(store.Read("unknown", ChartRange.Hour, now));
    }

    [Fact]
    public void Samples_survive_reopening_and_old_rows_are_pruned()
    {
        using (var store = new MetricsStore(_folder.Path))
        {
            store.Write(Start, [new Sample("cpu", 1)]);
        }

        using var reopened = new MetricsStore(_folder.Path);
        Assert.Single(reopened.Read("cpu", ChartRange.Hour, Start + TimeSpan.FromMinutes(1)));

        var later = Start + TimeSpan.FromDays(2);
        reopened.Write(later, [new Sample("cpu", 2)]);

        Assert.Single(reopened.Read("cpu", ChartRange.Hour, later)); // the raw sample of two days ago is gone
        Assert.Equal(2, reopened.Read("cpu", ChartRange.Month, later).Count); // its hour is kept
    }

    [Fact]
    public void Rows_stop_growing_once_each_resolution_has_its_span()
    {
        // 40 days of one sample every 5 minutes: past the 30 days minutes are kept, and far past the raw day.
        using var store = new MetricsStore(_folder.Path);
        var end = Start + TimeSpan.FromDays(40);
        for (var t = Start; t < end; t += TimeSpan.FromMinutes(5))
        {
            store.Write(t, [new Sample("cpu", 1), new Sample("memory", 2)]);
        }

        var last = end - TimeSpan.FromMinutes(5);
        Assert.InRange(store.Read("cpu", ChartRange.Hour, last).Count, 12, 13);
        var byMinute = store.Read("cpu", ChartRange.Day, last);
        Assert.InRange(byMinute.Count, 288, 289);
        Assert.InRange(store.Read("memory", ChartRange.Month, last).Count, 30 * 24, 30 * 24 + 1);
        Assert.Equal((int)(TimeSpan.FromDays(40) / TimeSpan.FromHours(1)), store.RowCounts().Hours / 2);
        Assert.InRange(store.RowCounts().Raw / 2, 288, 12 * 24 + PruneSlack);
        Assert.InRange(store.RowCounts().Minutes / 2, 30 * 24 * 12, 30 * 24 * 12 + PruneSlack);
    }

    /// <summary>Rows written since the last prune (every 10 minutes of sample time).</summary>
    private const int PruneSlack = 3;
}
