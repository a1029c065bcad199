using System.Diagnostics;
using Connect.Testing;

namespace Connect.E2E.Infrastructure;

/// <summary>
/// Real nginx running the repository's nginx.conf.sample, with only the node addresses and the
/// listen port substituted (plus where nginx keeps its pid, logs and temporary files).
/// </summary>
public sealed class NginxProcess : IAsyncDisposable
{
    private readonly Process _process;

    private NginxProcess(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        Folder = folder;
    }

    public int Port { get; }

    public string Folder { get; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");

    /// <summary>The sample's dashboard server (its own port), in front of the dashboard given at start.</summary>
    public Uri DashboardUrl { get; private init; } = null!;

    public static Task<NginxProcess> StartAsync(TempDirectory temp, params NodeProcess[] nodes) => StartAsync(temp, nodes, null);

    /// <summary>nginx for <paramref name="nodes"/>, and for <paramref name="dashboard"/> on <see cref="DashboardUrl"/> when given.</summary>
    public static async Task<NginxProcess> StartAsync(TempDirectory temp, NodeProcess[] nodes, AdminProcess? dashboard)
    {
        var sample = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "nginx.conf.sample"));
        var sampleNodes = new[] { "127.0.0.1:3939", "127.0.0.1:3941" };
        if (nodes.Length != sampleNodes.Length)
        {
            throw new ArgumentException($"nginx.conf.sample names {sampleNodes.Length} nodes");
        }

        var folder = Directory.CreateDirectory(temp.File($"nginx-{Guid.NewGuid():N}")).FullName;
        var port = FreePort.Next();
        var config = sample.Replace("listen 8080;", $"listen 127.0.0.1:{port};");
        var dashboardPort = FreePort.Next();
        config = config.Replace("listen 8081;", $"listen 127.0.0.1:{dashboardPort};")
            .Replace("server 127.0.0.1:3940", $"server 127.0.0.1:{dashboard?.BaseUrl.Port ?? FreePort.Next()}");
        for (var i = 0; i < nodes.Length; i++)
        {
            config = config.Replace(sampleNodes[i], $"127.0.0.1:{nodes[i].Port}");
        }

        // Where this nginx keeps its state, instead of the system's.
        config = config.Replace("http {", $$"""
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log info;

            http {
                access_log {{folder}}/access.log;
                client_body_temp_path {{folder}}/body;
                proxy_temp_path {{folder}}/proxy;
                fastcgi_temp_path {{folder}}/fastcgi;
                uwsgi_temp_path {{folder}}/uwsgi;
                scgi_temp_path {{folder}}/scgi;
            """);
        var path = Path.Combine(folder, "nginx.conf");
        await File.WriteAllTextAsync(path, config);

        var info = new ProcessStartInfo("nginx") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", path, "-p", folder, "-g", "daemon off; user root;" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        var nginx = new NginxProcess(process, port, folder) { DashboardUrl = new Uri($"http://127.0.0.1:{dashboardPort}/") };
        using var http = new HttpClient();
        await Wait.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited: {await process.StandardError.ReadToEndAsync()}");
            }

            return (await http.GetAsync(new Uri(nginx.BaseUrl, "__ping__"))).IsSuccessStatusCode;
        }, "nginx to answer");
        return nginx;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
