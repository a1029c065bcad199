using Connect.Testing;

namespace Connect.E2E.Infrastructure;

/// <summary>The real admin console process, reading the same configuration file as a node.</summary>
public sealed class AdminProcess : DotnetProcess
{
    private AdminProcess(string configPath, string workingDirectory, int port, IReadOnlyDictionary<string, string>? environment)
        : base(RepositoryPaths.AdminDll, ["--config", configPath], workingDirectory,
            new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["CONNECT_ADMIN_LISTEN"] = $"127.0.0.1:{port}" })
    {
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri BaseUrl { get; }

    /// <param name="port">The port to listen on (one the test had to know beforehand); null: a free one.</param>
    public static async Task<AdminProcess> StartAsync(TempDirectory folder, string configPath, int? port = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var admin = new AdminProcess(configPath, folder.Path, port ?? FreePort.Next(), environment);
        // Up once it answers at all: its sign-in may send a browser elsewhere (a signing-in proxy's page).
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        await Wait.UntilAsync(async () =>
        {
            if (admin.HasExited)
            {
                throw new InvalidOperationException($"the admin console exited with {admin.ExitCode}:\n{admin.Output}");
            }

            return (int)(await http.GetAsync(admin.BaseUrl)).StatusCode is >= 200 and < 400;
        }, "the admin console to answer");
        return admin;
    }
}
