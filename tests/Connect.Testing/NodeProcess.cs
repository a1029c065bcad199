namespace Connect.Testing;

/// <summary>A real <c>connect run</c> node with its own config file, port and working folder.</summary>
public sealed class NodeProcess : DotnetProcess
{
    private readonly HttpClient _http;

    private NodeProcess(string configPath, string workingDirectory, int port, IReadOnlyDictionary<string, string>? environment, string verb)
        : base(RepositoryPaths.ConnectDll, [verb, "--config", configPath], workingDirectory, environment)
    {
        Port = port;
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        _http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public Uri BaseUrl { get; }

    public HttpClient Http => _http;

    /// <summary>
    /// Writes a config file (the given lines plus this node's name, port and data folder) and starts the node.
    /// </summary>
    public static NodeProcess Start(TempDirectory folder, string name, string configLines, IReadOnlyDictionary<string, string>? environment = null, string verb = "run")
    {
        var port = FreePort.Next();
        var config = folder.File($"{name}.gcfg");
        File.WriteAllText(config, $"""
            [Node]
            Name = {name}
            [HTTP]
            Listen = 127.0.0.1:{port}
            [Server]
            DataDir = {folder.File("data")}
            {configLines}
            """);
        return new NodeProcess(config, folder.Path, port, environment, verb);
    }

    public async Task WaitUntilServingAsync(TimeSpan? timeout = null) =>
        await Wait.UntilAsync(async () =>
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"node exited with {ExitCode}:\n{Output}");
            }

            using var response = await _http.GetAsync("__ping__");
            return response.IsSuccessStatusCode;
        }, $"node on port {Port} to answer /__ping__", timeout);

    public override async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await base.DisposeAsync();
    }
}
