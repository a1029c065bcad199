using System.Collections.Concurrent;
using Connect.Runtime.Metrics;
using Connect.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using OpenTelemetry.Exporter;

namespace Connect.Runtime.Tests.Metrics;

/// <summary>OTLP over HTTP posts where a real collector takes metrics: /v1/metrics of the address given.</summary>
public sealed class OtlpExportTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-otlp");

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("http://collector:4318", "http/protobuf", "http://collector:4318/v1/metrics")]
    [InlineData("http://collector:4318/", "http/protobuf", "http://collector:4318/v1/metrics")]
    [InlineData("http://collector:4318/custom/v1/metrics", "http/protobuf", "http://collector:4318/custom/v1/metrics")]
    [InlineData("http://collector:4317", "grpc", "http://collector:4317/")]
    public void A_base_address_gets_the_signals_path_over_http_and_a_full_url_is_kept(string endpoint, string protocol, string expected) =>
        Assert.Equal(expected, MetricsSetup.OtlpEndpoint(endpoint, protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf).ToString());

    [Fact]
    public async Task A_node_exports_its_metrics_to_a_collector_given_by_its_base_address()
    {
        var paths = new ConcurrentQueue<string>();
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var collector = builder.Build();
        collector.Run(context =>
        {
            paths.Enqueue(context.Request.Path);
            return Task.CompletedTask;
        });
        await collector.StartAsync();

        await using var node = NodeProcess.Start(_folder, "node", $"[OpenTelemetry]\nEnabled = true\nProtocol = http/protobuf\nEndpoint = http://127.0.0.1:{port}\n",
            new Dictionary<string, string> { ["OTEL_METRIC_EXPORT_INTERVAL"] = "500" });
        await node.WaitUntilServingAsync();

        await Wait.UntilAsync(() => !paths.IsEmpty, "the node to post its metrics").ShowingOutputOf(node);
        Assert.All(paths, path => Assert.Equal("/v1/metrics", path));
        await collector.StopAsync();
    }
}
