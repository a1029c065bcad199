using Connect.Runtime.Proxy;
using Connect.Runtime.R;
using Connect.Runtime.Sandbox;
using Connect.Shared.Content;

namespace Connect.Runtime.Processes;

internal static class WorkerServices
{
    /// <summary>R in its sandbox, the worker pool and its supervisor, and the proxy in front of the workers.</summary>
    public static IServiceCollection AddWorkers(this IServiceCollection services)
    {
        services.AddSingleton<ContentSandbox>();
        services.AddSingleton<RInstallation>();
        services.AddSingleton<RMarkdownRenderer>();
        services.AddSingleton<ContentEnvironment>();
        services.AddSingleton<SpareWorkers>();
        services.AddHostedService(sp => sp.GetRequiredService<SpareWorkers>());
        services.AddSingleton<WorkerLauncher>();
        services.AddSingleton<WorkerPool>();
        services.AddHostedService<WorkerSupervisor>();
        services.AddHttpForwarder();
        services.AddSingleton<OpenWebSockets>();
        services.AddSingleton<ContentProxy>();
        return services;
    }
}
