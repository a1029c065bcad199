using Connect.Testing;

namespace Connect.E2E.Infrastructure;

/// <summary>The real admin console process, reading the same configuration file as a node.</summary>
public sealed class AdminProcess : DotnetProcess
{
    private AdminProcess(string configPath, string workingDirectory, int port)
        : base(RepositoryPaths.AdminDll, ["--config", configPath], workingDirectory,
            new Dictionary<string, string> { ["CONNECT_ADMIN_LISTEN"] = $"127.0.0.1:{port}" })
    {
        BaseUrl = new Uri($"http://127.0.0.1:{port}/");
    }

    public Uri BaseUrl { get; }

    public static async Task<AdminProcess> StartAsync(TempDirectory folder, string configPath)
    {
        var admin = new AdminProcess(configPath, folder.Path, FreePort.Next());
        using var http = new HttpClient();
        await Wait.UntilAsync(async () =>
        {
            if (admin.HasExited)
            {
                throw new InvalidOperationException($"the admin console exited with {admin.ExitCode}:\n{admin.Output}");
            }

            return (await http.GetAsync(admin.BaseUrl)).IsSuccessStatusCode;
        }, "the admin console to answer");
        return admin;
    }
}
