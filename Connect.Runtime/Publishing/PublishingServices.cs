using Connect.Runtime.Content;
using Connect.Shared.Content;
using Connect.Shared.Tasks;
using Connect.Shared.Users;

namespace Connect.Runtime.Publishing;

internal static class PublishingServices
{
    /// <summary>Users, keys, groups, content and its permissions, bundles, deploy tasks.</summary>
    public static IServiceCollection AddPublishing(this IServiceCollection services)
    {
        services.AddSingleton<UserRepository>();
        services.AddSingleton<ApiKeyRepository>();
        services.AddSingleton<GroupRepository>();
        services.AddSingleton<ContentRepository>();
        services.AddSingleton<PermissionRepository>();
        services.AddSingleton<VanityRepository>();
        services.AddSingleton<VanityMap>();
        services.AddSingleton<TagRepository>();
        services.AddSingleton<BundleRepository>();
        services.AddSingleton<TaskRepository>();
        services.AddSingleton<BundleStore>();
        services.AddSingleton<ContentRemoval>();
        services.AddSingleton<DeployQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<DeployQueue>());
        services.AddSingleton<Deployer>();
        services.AddSingleton<Connect.Shared.Operations.MaintenancePause>();
        services.AddSingleton<Operations.MaintenanceGate>();
        services.AddSingleton<ContentLookup>();
        services.AddSingleton<StaticFiles>();
        services.AddSingleton<RenderedOutputs>();
        services.AddHostedService<OutputSweep>();
        services.AddHostedService<Operations.RetentionSweep>();
        return services;
    }
}
