using Bunit;
using Connect.Admin.Components.Pages;
using Connect.Admin.Services;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Connect.Admin.Tests.FakeClusterFeed;

namespace Connect.Admin.Tests.Pages;

public sealed class NodesTests : AdminTestContext
{
    private readonly FakeClusterFeed _feed = new();

    public NodesTests()
    {
        Services.AddSingleton<IClusterFeed>(_feed);
        Services.AddSingleton(new ConnectOptions());
    }

    [Fact]
    public void Before_the_first_reading_the_page_waits()
    {
        var page = Render<Nodes>();

        Assert.NotEmpty(page.FindAll(".mud-progress-linear"));
    }

    [Fact]
    public void Shows_each_node_with_status_version_clock_offset_and_its_live_figures()
    {
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-a", offsetMs: 1250), Node("node-b", NodeStatus.Missing)])
        {
            Status = [Status("node-a", Settings("/m/a")), Status("node-b", Settings("/m/b"))],
        });

        var page = Render<Nodes>();

        var rows = page.FindAll("tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("node-a", rows[0].TextContent);
        Assert.Contains("Running", rows[0].TextContent);
        Assert.Contains("+1250 ms skewed", rows[0].TextContent);
        Assert.Contains("1.0 GiB of 4.0 GiB", rows[0].TextContent);
        Assert.Contains("Heartbeat stale", rows[1].TextContent);
        Assert.DoesNotContain("skewed", rows[1].TextContent);
        Assert.Contains("schema version 4", page.Find("[data-testid=schema-state]").TextContent);
    }

    [Fact]
    public void A_node_stopped_by_a_newer_schema_says_so()
    {
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("old", NodeStatus.Stopped, schema: 3), Node("done", NodeStatus.Stopped)]));

        var rows = Render<Nodes>().FindAll("tbody tr");

        Assert.Contains("Stopped for schema", rows[0].TextContent);
        Assert.DoesNotContain("for schema", rows[1].TextContent);
    }

    [Fact]
    public void A_new_snapshot_shows_without_reload()
    {
        _feed.Publish(new ClusterSnapshot("SQLite", 4, 4, [Node("node-a")]));
        var page = Render<Nodes>();
        Assert.Single(page.FindAll("tbody tr"));

        _feed.Publish(_feed.Current! with { Nodes = [Node("node-a"), Node("node-c")] });

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count));
        Assert.Contains("node-c", page.Markup);
    }

    [Fact]
    public void A_nodes_row_stays_the_same_element_while_its_heartbeat_ages_so_a_click_on_its_link_is_not_lost()
    {
        _feed.Publish(new ClusterSnapshot("SQLite", 4, 4, [Node("node-a")]));
        var page = Render<Nodes>();
        var row = page.FindComponent<MudBlazor.MudTr>().Instance;

        _feed.Publish(_feed.Current! with { Nodes = [Node("node-a") with { HeartbeatAge = TimeSpan.FromSeconds(7) }] });

        page.WaitForAssertion(() => Assert.Contains("7s ago", page.Find("tbody tr").TextContent));
        Assert.Same(row, page.FindComponent<MudBlazor.MudTr>().Instance);
    }

    [Fact]
    public void A_healthy_cluster_has_no_warnings_and_each_checklist_problem_is_named()
    {
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("a"), Node("b")])
        {
            Status = [Status("a", Settings("/m/a")), Status("b", Settings("/m/b"))],
        });
        var page = Render<Nodes>();
        Assert.Empty(page.FindAll("[data-testid=checklist-warning]"));

        _feed.Publish(new ClusterSnapshot("SQLite /data/db", 4, 4, [Node("a", version: "0.2.0", offsetMs: 3000), Node("b", schema: 3)])
        {
            Status = [Status("a", Settings("/m/shared", "sqlite", 0, enforce: false)), Status("b", Settings("/m/shared", "sqlite", 0))],
        });

        page.WaitForAssertion(() => Assert.Equal(7, page.FindAll("[data-testid=checklist-warning]").Count));
        var text = page.Markup;
        Assert.Contains("different versions", text);
        Assert.Contains("Several nodes on SQLite", text);
        Assert.Contains("share Metrics.DataPath /m/shared", text);
        Assert.Contains("clock is +3000 ms off", text);
        Assert.Contains("no node runs scheduled renders", text);
        Assert.Contains("EnforceMinRsconnectVersion is off on a", text);
        Assert.Contains("Node b knows schema 3", text);
    }

    [Fact]
    public void A_maintenance_pause_is_shown_while_it_holds()
    {
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 5, 5, [Node("node-a")]) { Status = [Status("node-a", Settings("/m/a"))] });
        var page = Render<Nodes>();
        Assert.Empty(page.FindAll("[data-testid=maintenance-pause]"));

        _feed.Publish(_feed.Current! with { Pause = new("backup on host-1 (pid 42)", "backup to /backups/monday", DateTimeOffset.UnixEpoch) });

        page.WaitForAssertion(() => Assert.Contains("backup to /backups/monday, by backup on host-1 (pid 42)", page.Find("[data-testid=maintenance-pause]").TextContent));
    }

    [Fact]
    public void An_unreachable_database_is_explained()
    {
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 0, 4, [], "connection refused"));

        var page = Render<Nodes>();

        Assert.Contains("Cannot read the database: connection refused", page.Markup);
        Assert.Contains("No node has registered", page.Markup);
    }
}
