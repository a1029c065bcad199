using Bunit;
using Connect.Admin.Components.Pages;
using Connect.Admin.Services;
using Connect.Shared.Configuration;
using Connect.Shared.Metrics;
using Microsoft.Extensions.DependencyInjection;
using static Connect.Admin.Tests.FakeClusterFeed;

namespace Connect.Admin.Tests.Pages;

public sealed class ClusterMetricsTests : AdminTestContext
{
    private readonly FakeClusterFeed _feed = new();

    public ClusterMetricsTests()
    {
        Services.AddSingleton<IClusterFeed>(_feed);
        Services.AddSingleton(new ConnectOptions());
    }

    private static NodeHistory Workers(params (DateTimeOffset At, double Value)[] points) =>
        new(new Dictionary<string, IReadOnlyDictionary<ChartRange, IReadOnlyList<ChartPoint>>>
        {
            ["workers"] = new Dictionary<ChartRange, IReadOnlyList<ChartPoint>> { [ChartRange.Hour] = points.Select(p => new ChartPoint(p.At, p.Value)).ToList() },
        });

    [Fact]
    public void The_cluster_charts_average_each_node_then_sum_the_nodes_at_each_time()
    {
        var t = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("a"), Node("b")])
        {
            // Node b samples 2 s after node a: both land in the same 30-second point. Node a's two samples in
            // the last point are one reading of it (their average, 4), not two.
            Status = [Status("a", Settings("/m/a"), history: Workers((t, 2), (t.AddMinutes(1), 3), (t.AddMinutes(1).AddSeconds(10), 5))),
                      Status("b", Settings("/m/b"), history: Workers((t.AddSeconds(2), 1), (t.AddMinutes(1).AddSeconds(2), 4)))],
        });

        var page = Render<ClusterMetrics>();

        Assert.Contains("2 of 2 nodes have published metrics", page.Markup);
        Assert.Contains("latest 8 · 2 points", page.Find("[data-testid=chart-workers]").TextContent);
    }

    [Fact]
    public void Without_published_metrics_every_chart_says_it_has_no_samples()
    {
        _feed.Publish(new ClusterSnapshot("SQLite db", 4, 4, [Node("a")]) { Status = [Status("a", Settings("/m/a"))] });

        var page = Render<ClusterMetrics>();

        Assert.Contains("0 of 1 nodes have published metrics", page.Markup);
        Assert.All(page.FindAll("[data-testid^=chart-]").Where(c => c.GetAttribute("data-testid") != "chart-latest"),
            chart => Assert.Contains("No samples in this range yet", chart.TextContent));
        Assert.Empty(page.FindAll("[data-testid=chart-latest]"));
    }
}
