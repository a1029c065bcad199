using System.Globalization;
using System.Net;
using Connect.E2E.Infrastructure;
using Connect.Testing;

namespace Connect.E2E.Metrics;

/// <summary>A node's metrics leave it for the real outside platforms: Debian's Prometheus and graphite-carbon.</summary>
public sealed class MetricsExportTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Prometheus_scrapes_a_node_and_answers_queries_for_its_series()
    {
        await using var node = NodeProcess.Start(_folder, "node-p", "[Prometheus]\nEnabled = true\n");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("site", TestBundles.StaticSite("<p>scraped</p>"));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync($"content/{guid}/")).StatusCode);
        }

        await using var prometheus = await PrometheusProcess.StartAsync(_folder, node.BaseUrl);

        double requests = 0;
        await Wait.UntilAsync(async () =>
        {
            var result = await prometheus.QueryAsync($"connect_http_requests_total{{content_guid=\"{guid}\"}}");
            requests = result.GetArrayLength() == 0 ? 0 : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            return requests > 0;
        }, "Prometheus to return the content's request count");
        Assert.Equal(3, requests);
        var memory = await prometheus.QueryAsync("{__name__=~\"connect_host_memory_usage.*\", job=\"connect\"}");
        Assert.Equal(1, memory.GetArrayLength());
        Assert.True(double.Parse(memory[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Carbon_receives_a_nodes_samples_and_gets_those_it_missed_once_it_is_back()
    {
        var carbon = await CarbonProcess.StartAsync(_folder);
        try
        {
            await using var node = NodeProcess.Start(_folder, "node-g", $"""
                [Metrics]
                Interval = 1s
                Graphite = true
                GraphiteHost = 127.0.0.1
                GraphitePort = {carbon.Port}
                GraphiteClientId = cluster.node-g
                """);
            await node.WaitUntilServingAsync();

            await Wait.UntilAsync(async () => (await carbon.PointsAsync("cluster.node-g.host.memory")).Any(p => p.Value > 0),
                "carbon to store the node's host memory");

            // Carbon goes away for a while; the node keeps serving and keeps its samples for later.
            await carbon.StopAsync();
            await node.WaitForOutputAsync("cannot be reached");
            var outageStarted = DateTimeOffset.UtcNow;
            // Four failed attempts (1, 2 and 4 s of back-off between them): samples of several seconds are waiting.
            await Wait.UntilAsync(() => Task.FromResult(node.Output.Split("cannot be reached").Length > 4), "the node to try carbon four times");
            Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("__ping__")).StatusCode);
            var outageEnded = DateTimeOffset.UtcNow;
            carbon = await carbon.RestartAsync();

            await Wait.UntilAsync(async () => (await carbon.PointsAsync("cluster.node-g.host.memory"))
                    .Count(p => p.At > outageStarted && p.At < outageEnded) >= 5,
                "the samples taken while carbon was away to reach it", TimeSpan.FromSeconds(60));
        }
        finally
        {
            await carbon.DisposeAsync();
        }
    }
}
