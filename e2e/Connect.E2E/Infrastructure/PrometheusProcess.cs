using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Infrastructure;

/// <summary>Debian's Prometheus, scraping the given targets every second, with its storage in a test folder.</summary>
public sealed class PrometheusProcess : DaemonProcess
{
    private PrometheusProcess(IEnumerable<string> args, int port)
        : base("prometheus", args)
    {
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri BaseUrl { get; }

    public static async Task<PrometheusProcess> StartAsync(TempDirectory temp, params Uri[] targets)
    {
        var folder = Directory.CreateDirectory(temp.File($"prometheus-{Guid.NewGuid():N}")).FullName;
        var config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: connect
                static_configs:
                  - targets: [{string.Join(", ", targets.Select(t => $"'{t.Authority}'"))}]
            """);
        var port = FreePort.Next();
        var prometheus = new PrometheusProcess(
            [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}", $"--web.listen-address=127.0.0.1:{port}"], port);
        using var http = new HttpClient();
        await Wait.UntilAsync(async () =>
        {
            prometheus.ThrowIfExited("prometheus");
            try
            {
                return (await http.GetAsync(new Uri(prometheus.BaseUrl, "-/ready"))).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, "prometheus to be ready");
        return prometheus;
    }

    /// <summary>The result vector of an instant query through Prometheus's HTTP API.</summary>
    public async Task<JsonElement> QueryAsync(string query)
    {
        using var http = new HttpClient();
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(BaseUrl, $"api/v1/query?query={Uri.EscapeDataString(query)}")));
        return document.RootElement.GetProperty("data").GetProperty("result").Clone();
    }
}
