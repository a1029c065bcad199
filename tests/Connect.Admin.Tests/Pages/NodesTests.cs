using Bunit;
using Connect.Admin.Components.Pages;
using Connect.Admin.Services;
using Connect.Shared.Cluster;
using Microsoft.Extensions.DependencyInjection;

namespace Connect.Admin.Tests.Pages;

public sealed class NodesTests : AdminTestContext
{
    private readonly FakeClusterSource _cluster = new();

    public NodesTests()
    {
        Services.AddSingleton<IClusterSource>(_cluster);
        Services.AddSingleton(new Connect.Shared.Configuration.ConnectOptions());
    }

    private static NodeInfo Node(string name, NodeStatus status = NodeStatus.Running, double offsetMs = 0) =>
        new(name, $"http://{name}:3939", "0.1.0", 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
            TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(offsetMs), status);

    [Fact]
    public void Shows_each_node_with_status_version_and_clock_offset()
    {
        _cluster.Snapshot = new ClusterSnapshot("PostgreSQL db", 1, 1, [Node("node-a", offsetMs: 1250), Node("node-b", NodeStatus.Missing)]);

        var page = Render<Nodes>();

        var rows = page.FindAll("tbody tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("node-a", rows[0].TextContent);
        Assert.Contains("Running", rows[0].TextContent);
        Assert.Contains("+1250 ms skewed", rows[0].TextContent);
        Assert.Contains("Missing", rows[1].TextContent);
        Assert.DoesNotContain("skewed", rows[1].TextContent);
        Assert.Contains("schema version 1", page.Find("[data-testid=schema-state]").TextContent);
    }

    [Fact]
    public void Refreshes_while_open()
    {
        _cluster.Snapshot = new ClusterSnapshot("SQLite", 1, 1, [Node("node-a")]);
        var page = Render<Nodes>();
        Assert.Single(page.FindAll("tbody tr"));

        _cluster.Snapshot = _cluster.Snapshot with { Nodes = [Node("node-a"), Node("node-c")] };
        Clock.Advance(Nodes.RefreshInterval);

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tbody tr").Count));
        Assert.Contains("node-c", page.Markup);
    }

    [Fact]
    public void An_unreachable_database_is_explained()
    {
        _cluster.Snapshot = new ClusterSnapshot("PostgreSQL db", 0, 1, [], "connection refused");

        var page = Render<Nodes>();

        Assert.Contains("Cannot read the database: connection refused", page.Markup);
        Assert.Contains("No node has registered", page.Markup);
    }

    private sealed class FakeClusterSource : IClusterSource
    {
        public volatile ClusterSnapshot Snapshot = new("none", 0, 1, []);

        public Task<ClusterSnapshot> GetAsync(CancellationToken cancellationToken) => Task.FromResult(Snapshot);
    }
}
