using System.Net;
using System.Text.Json;
using Connect.Shared.Configuration;
using Connect.Shared.Metrics;
using Connect.Testing;

namespace Connect.Runtime.Tests.Metrics;

public sealed class NodeMetricsTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-node-metrics");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_node_stores_publishes_and_exposes_its_metrics_to_prometheus_from_allowed_addresses_only()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var node = NodeProcess.Start(_folder, "node-m",
            database.ConfigLines + "[Metrics]\nInterval = 1s\n[Prometheus]\nEnabled = true\n");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("site", TestBundles.StaticSite("<p>hello</p>"));
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync($"content/{guid}/")).StatusCode);

        string text = "";
        await Wait.UntilAsync(async () => (text = await node.Http.GetStringAsync("metrics")).Contains($"content_guid=\"{guid}\""),
            "the content's requests in the Prometheus exposition");
        Assert.Contains("connect_http_requests_total", text);
        Assert.Contains("connect_host_memory_usage", text);
        await Wait.UntilAsync(async () => (text = await node.Http.GetStringAsync("metrics")).Contains("content_count{"),
            "the cluster's content count");
        Assert.Matches("content_count\\{[^}]*access_type=\"all\"[^}]*content_type=\"static\"[^}]*\\} 1", text);

        var statuses = new NodeStatusRepository(database.Database);
        NodeStatusRow? row = null;
        await Wait.UntilAsync(async () => (row = (await statuses.ListAsync(withHistory: true)).SingleOrDefault())?.History is not null,
            "the node to publish its status and charts");
        Assert.Equal("node-m", row!.Node);
        Assert.Equal(Path.Combine(_folder.Path, "data", "metrics", "node-m"), row.Settings.MetricsPath);
        Assert.True(row.Live.HostMemoryTotalBytes > 0);
        Assert.NotEmpty(row.History!.Series["host.memory"][ChartRange.Hour]);
        Assert.True(File.Exists(Path.Combine(row.Settings.MetricsPath, "metrics.sqlite")));
    }

    [Fact]
    public async Task Prometheus_refuses_addresses_outside_allow_from()
    {
        await using var node = NodeProcess.Start(_folder, "node-p", "[Prometheus]\nEnabled = true\nAllowFrom = 10.1.2.0/24\n");
        await node.WaitUntilServingAsync();

        var response = await node.Http.GetAsync("metrics");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("Prometheus.AllowFrom", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_second_live_node_with_the_same_metrics_path_refuses_to_start_and_names_the_holder()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        var shared = $"[Metrics]\nDataPath = {_folder.File("shared-metrics")}\n";
        await using var first = NodeProcess.Start(_folder, "node-one", database.ConfigLines + shared);
        await first.WaitUntilServingAsync();

        await using var second = NodeProcess.Start(_folder, "node-two", database.ConfigLines + shared);

        Assert.Equal(1, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("is in use by node 'node-one'", second.Output);
    }
}
