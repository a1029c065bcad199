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
        // Made at start on a root node (NodeRuntimeSweep, which so sweeps what killed nodes left), else on first use; a problem
        // with it is reported by each worker that cannot start.
        services.AddSingleton(_ => new Lazy<NodeRuntimeFolder>(() =>
        {
            if (ContentNetwork.Problem() is null)
            {
                ContentNetwork.SweepAsync(CancellationToken.None).GetAwaiter().GetResult(); // namespaces of killed nodes
            }

            return NodeRuntimeFolder.Create();
        }));
        services.AddHostedService<NodeRuntimeSweep>();
        services.AddSingleton<RInstallation>();
        services.AddSingleton<RMarkdownRenderer>();
        services.AddSingleton<IContentVariables>(sp => sp.GetRequiredService<ContentEnvironment>());
        services.AddSingleton<SpareWorkers>();
        services.AddHostedService(sp => sp.GetRequiredService<SpareWorkers>());
        services.AddSingleton<WorkerLauncher>();
        services.AddSingleton<IWorkerLauncher>(sp => sp.GetRequiredService<WorkerLauncher>());
        services.AddSingleton<WorkerPool>();
        services.AddHostedService<WorkerSupervisor>();
        return services;
    }
}
