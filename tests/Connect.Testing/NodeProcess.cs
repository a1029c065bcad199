namespace Connect.Testing;

/// <summary>A real <c>connect run</c> node with its own config file, port and working folder.</summary>
public sealed class NodeProcess : DotnetProcess
{
    private readonly HttpClient _http;

    public string ConfigPath { get; }

    public string DataDir { get; }

    /// <summary>The key of the <c>admin</c> user the node created on its first start.</summary>
    public string AdminKey => File.ReadAllText(Path.Combine(DataDir, "admin-api-key")).Trim();

    /// <summary>How long a test's API call may take unless it says otherwise.</summary>
    public static readonly TimeSpan ApiTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An HTTP client that sends <paramref name="apiKey"/> the way rsconnect does. Calls that may wait for a
    /// maintenance pause (deploys, uploads, renders while a backup runs) need a <paramref name="timeout"/> longer than
    /// the pause.
    /// </summary>
    public HttpClient ClientWithKey(string apiKey, bool allowRedirects = true, TimeSpan? timeout = null)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = allowRedirects }) { BaseAddress = BaseUrl, Timeout = timeout ?? ApiTimeout };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Key", apiKey);
        return client;
    }

    /// <summary>Runs another <c>connect</c> verb (users, keys, migrate...) with this node's configuration.</summary>
    public Task<(int ExitCode, string Output)> RunCommandAsync(params string[] args) => RunCommandWithInputAsync(null, args);

    /// <summary>A new API key of <paramref name="user"/>, made with <c>connect keys create</c> (its last line is the key).</summary>
    public async Task<string> CreateKeyAsync(string user)
    {
        var (code, output) = await RunCommandWithInputAsync(null, "keys", "create", "--user", user);
        return code == 0 ? output.Trim().Split('\n')[^1].Trim() : throw new InvalidOperationException($"connect keys create --user {user} exited with {code}:\n{output}");
    }

    /// <summary>Runs a <c>connect</c> command against this node's configuration, with <paramref name="input"/> on its standard input.</summary>
    public Task<(int ExitCode, string Output)> RunCommandWithInputAsync(string? input, params string[] args) => RunCommandAsync(ConfigPath, input, args);

    /// <summary>Runs a <c>connect</c> command against any configuration file (one no node runs with yet, say).</summary>
    public static async Task<(int ExitCode, string Output)> RunCommandAsync(string configPath, string? input, params string[] args)
    {
        await using var command = new DotnetProcess(RepositoryPaths.ConnectDll, [.. args, "--config", configPath], Path.GetDirectoryName(configPath)!, input: input);
        var exitCode = await command.WaitForExitAsync(TimeSpan.FromMinutes(3));
        return (exitCode, command.Output.Trim());
    }

    private NodeProcess(string configPath, string workingDirectory, int port, IReadOnlyDictionary<string, string>? environment, string verb)
        : base(RepositoryPaths.ConnectDll, [verb, "--config", configPath], workingDirectory, environment)
    {
        Port = port;
        ConfigPath = configPath;
        DataDir = Path.Combine(workingDirectory, "data");
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        _http = new HttpClient { BaseAddress = BaseUrl, Timeout = TimeSpan.FromSeconds(10) };
    }

    public int Port { get; }

    public Uri BaseUrl { get; }

    public HttpClient Http => _http;

    /// <summary>
    /// Writes a config file (the given lines plus this node's name, port and data folder) and starts the node.
    /// </summary>
    /// <param name="port">The port to listen on (one the test had to know beforehand, say for a redirect URI); null: a free one.</param>
    public static NodeProcess Start(TempDirectory folder, string name, string configLines, IReadOnlyDictionary<string, string>? environment = null, string verb = "run", int? port = null)
    {
        port ??= FreePort.Next();
        var config = WriteConfig(folder, name, configLines, port.Value);
        return new NodeProcess(config, folder.Path, port.Value, environment, verb);
    }

    /// <summary>Writes the config file <see cref="Start"/> would (data in <c>{folder}/data</c>) and returns its path.</summary>
    public static string WriteConfig(TempDirectory folder, string name, string configLines, int port = 3939)
    {
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
        return config;
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
