using Bunit;
using Connect.Admin.Components.Pages;
using Connect.Admin.Services;
using Connect.Shared.Configuration;
using Connect.Shared.Metrics;
using Microsoft.Extensions.DependencyInjection;
using static Connect.Admin.Tests.FakeClusterFeed;

namespace Connect.Admin.Tests.Pages;

public sealed class NodeDetailTests : AdminTestContext
{
    private readonly FakeClusterFeed _feed = new();
    private readonly RecordingControl _control = new();

    public NodeDetailTests()
    {
        Services.AddSingleton<IClusterFeed>(_feed);
        Services.AddSingleton<IWorkerControl>(_control);
        Services.AddSingleton(new ConnectOptions());
        Services.AddSingleton<IContentCatalog>(_catalog);
        _catalog.Items.Add(FakeContentCatalog.Item("guid-w1", "sales-app") with { Title = "Sales by region" });
        SignIn();
    }

    private readonly FakeContentCatalog _catalog = new(new SchedulerOptions());

    private static WorkerLive Worker(string id, int pid) =>
        new(id, "guid-" + id, 1, pid, 3, 25, 150L << 20, DateTimeOffset.UnixEpoch, "Ready");

    [Fact]
    public void Workers_and_running_renders_are_listed_and_a_worker_can_be_stopped()
    {
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-b")])
        {
            Status = [Status("node-b", Settings("/m/b"), [Worker("w1", 4242)])],
            Renders = [new RunningRender("node-b", "deploy", "task-1", "guid-r", "report", DateTimeOffset.UnixEpoch)],
        });

        var page = Render<NodeDetail>(p => p.Add(c => c.Name, "node-b"));

        var worker = page.Find("[aria-label=Workers] tbody tr").TextContent;
        Assert.Contains("4242", worker);
        Assert.Contains("Sales by region", worker);
        Assert.DoesNotContain("guid-w1", worker);
        Assert.Contains("150 MiB", worker);
        Assert.Contains("25%", worker);
        Assert.Contains("report", page.Find("[aria-label=Renders] tbody").TextContent);

        page.Find("[data-testid=stop-worker]").Click();

        Assert.Equal([("node-b", "w1")], _control.Stopped);
        Assert.True(page.Find("[data-testid=stop-worker]").HasAttribute("disabled"));
    }

    [Fact]
    public void A_workers_row_stays_the_same_element_while_its_figures_refresh_so_a_click_on_stop_is_not_lost()
    {
        var snapshot = new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-b")]) { Status = [Status("node-b", Settings("/m/b"), [Worker("w1", 4242)])] };
        _feed.Publish(snapshot);
        var page = Render<NodeDetail>(p => p.Add(c => c.Name, "node-b"));
        var row = page.FindComponent<MudBlazor.MudTr>().Instance;

        // The next second's snapshot: the same worker with new figures, and a second worker.
        _feed.Publish(snapshot with { Status = [Status("node-b", Settings("/m/b"), [Worker("w1", 4242) with { CpuPercent = 87 }, Worker("w2", 4343)])] });

        page.WaitForAssertion(() => Assert.Contains("87%", page.Find("[aria-label=Workers] tbody tr").TextContent));
        var rows = page.FindComponents<MudBlazor.MudTr>();
        Assert.Equal(2, rows.Count);
        Assert.Same(row, rows[0].Instance);
    }

    [Fact]
    public void Without_metrics_the_page_says_so_and_with_them_charts_show_the_latest_value()
    {
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-b")]) { Status = [Status("node-b", Settings("/m/b"))] });
        var page = Render<NodeDetail>(p => p.Add(c => c.Name, "node-b"));
        Assert.NotNull(page.Find("[data-testid=no-metrics]"));

        var at = DateTimeOffset.UnixEpoch + TimeSpan.FromHours(1);
        var history = new NodeHistory(new Dictionary<string, IReadOnlyDictionary<ChartRange, IReadOnlyList<ChartPoint>>>
        {
            ["workers"] = new Dictionary<ChartRange, IReadOnlyList<ChartPoint>> { [ChartRange.Hour] = [new(at, 1), new(at + TimeSpan.FromMinutes(1), 2)] },
        });
        _feed.Publish(_feed.Current! with { Status = [Status("node-b", Settings("/m/b"), history: history)] });

        page.WaitForAssertion(() => Assert.Contains("latest 2 · 2 points", page.Find("[data-testid=chart-workers]").TextContent));
        Assert.Contains("No samples in this range yet", page.Find("[data-testid='chart-host.cpu']").TextContent);
    }

    [Fact]
    public void An_unknown_node_is_explained()
    {
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, []));

        Assert.Contains("No node named ghost", Render<NodeDetail>(p => p.Add(c => c.Name, "ghost")).Markup);
    }

    private sealed class RecordingControl : IWorkerControl
    {
        public List<(string, string)> Stopped { get; } = [];

        public Task StopAsync(string node, string workerId, string requestedBy, CancellationToken cancellationToken)
        {
            Stopped.Add((node, workerId));
            return Task.CompletedTask;
        }
    }
}
