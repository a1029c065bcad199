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
        services.AddSingleton<VanityMap>();
        services.AddSingleton<BundleStore>();
        services.AddSingleton<ContentRemoval>();
        services.AddSingleton<DeployQueue>();
        services.AddHostedService(sp => sp.GetRequiredService<DeployQueue>());
        services.AddSingleton<Deployer>();
        return services;
    }
}
