using Bunit;
using Connect.Admin.Components.Pages;
using Connect.Shared.Metrics;

namespace Connect.Admin.Tests.Pages;

public sealed class MetricChartsTests : AdminTestContext
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static NodeHistory History(double latencyMs, double requestsPerSecond, double workers) => new(new Dictionary<string, IReadOnlyDictionary<ChartRange, IReadOnlyList<ChartPoint>>>
    {
        ["requests.latency"] = new Dictionary<ChartRange, IReadOnlyList<ChartPoint>> { [ChartRange.Hour] = [new(At, latencyMs)] },
        ["requests.rate"] = new Dictionary<ChartRange, IReadOnlyList<ChartPoint>> { [ChartRange.Hour] = [new(At, requestsPerSecond)] },
        ["workers"] = new Dictionary<ChartRange, IReadOnlyList<ChartPoint>> { [ChartRange.Hour] = [new(At, workers)] },
    });

    [Fact]
    public void The_clusters_request_time_weighs_each_nodes_average_by_its_requests_and_counts_add_up()
    {
        // A quiet node (1 request/s at 10 ms) and a busy one (99 requests/s at 3 ms): 3.07 ms a request, not 13 or 6.5.
        var charts = Render<MetricCharts>(p => p.Add(c => c.Histories, [History(10, 1, 2), History(3, 99, 1)]).Add(c => c.Range, ChartRange.Hour));

        Assert.Equal(3.07, Assert.Single(charts.Instance.Combined("requests.latency")).Value, precision: 2);
        Assert.Equal(3, Assert.Single(charts.Instance.Combined("workers")).Value);
        Assert.Equal(100, Assert.Single(charts.Instance.Combined("requests.rate")).Value);
    }

    [Fact]
    public void A_hosts_figures_count_once_however_many_nodes_it_runs()
    {
        NodeHistory Host(double cpu) => new(new Dictionary<string, IReadOnlyDictionary<ChartRange, IReadOnlyList<ChartPoint>>>
        {
            ["host.cpu"] = new Dictionary<ChartRange, IReadOnlyList<ChartPoint>> { [ChartRange.Hour] = [new(At, cpu)] },
            ["node.cpu"] = new Dictionary<ChartRange, IReadOnlyList<ChartPoint>> { [ChartRange.Hour] = [new(At, cpu / 10)] },
        });

        // Two nodes on machine-1 (both see its 40%), one on machine-2 (20%).
        var charts = Render<MetricCharts>(p => p.Add(c => c.Histories, [Host(40), Host(40), Host(20)])
            .Add(c => c.Hosts, ["machine-1", "machine-1", "machine-2"]).Add(c => c.Range, ChartRange.Hour));

        Assert.Equal(60, Assert.Single(charts.Instance.Combined("host.cpu")).Value);
        Assert.Equal(10, Assert.Single(charts.Instance.Combined("node.cpu")).Value, precision: 6);
    }

    [Fact]
    public void On_the_cluster_page_each_nodes_line_is_drawn_beside_the_whole()
    {
        var charts = Render<MetricCharts>(p => p.Add(c => c.Histories, [History(10, 1, 2), History(3, 99, 1)])
            .Add(c => c.Names, ["node-a", "node-b"]).Add(c => c.Range, ChartRange.Hour));
        var points = charts.Instance.Combined("workers");

        var lines = charts.Instance.Series("workers", points, 1);

        Assert.Equal(["all nodes", "node-a", "node-b"], lines.Select(l => l.Name));
        Assert.Equal([[3.0], [2.0], [1.0]], lines.Select(l => l.Data.Values.ToArray()));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3.5, 1)]
    [InlineData(17, 5)]
    [InlineData(230, 100)]
    [InlineData(1900, 500)]
    public void The_axis_is_cut_into_round_steps_fitted_to_the_data(double max, int step)
    {
        Assert.Equal(step, MetricCharts.Tick(max));
    }
}
