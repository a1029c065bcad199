using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Metrics;
using Connect.Shared.Operations;
using Connect.Shared.Packages;
using Connect.Shared.Scheduling;
using Connect.Shared.Tasks;
using Connect.Shared.Usage;
using Connect.Shared.Users;
using Microsoft.Extensions.DependencyInjection;

namespace Connect.Shared.Data;

public static class DataServices
{
    /// <summary>
    /// The configuration, the clock, the database and every store on it, registered the same way by the node and the
    /// console, so both read and write the cluster's records through the same types.
    /// </summary>
    public static IServiceCollection AddConnectData(this IServiceCollection services, ConnectOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => ConnectDatabase.Create(options));
        services.AddSingleton<DatabaseHealth>();
        services.AddSingleton<SchemaState>();
        services.AddSingleton<NodeRegistry>();
        services.AddSingleton<NodeStatusRepository>();
        services.AddSingleton<NodeCommandRepository>();
        services.AddSingleton<UserRepository>();
        services.AddSingleton<ApiKeyRepository>();
        services.AddSingleton<GroupRepository>();
        services.AddSingleton<ContentRepository>();
        services.AddSingleton<PermissionRepository>();
        services.AddSingleton<Access.ContentSharing>();
        services.AddSingleton<ContentEnvironment>();
        services.AddSingleton<VanityRepository>();
        services.AddSingleton<TagRepository>();
        services.AddSingleton<BundleRepository>();
        services.AddSingleton<RenderedOutputs>();
        services.AddSingleton<TaskRepository>();
        services.AddSingleton<ScheduleRepository>();
        services.AddSingleton<ScheduleBook>();
        services.AddSingleton<JobRepository>();
        services.AddSingleton<UsageRepository>();
        services.AddSingleton<PackageCache>();
        services.AddSingleton<MaintenancePause>();
        services.AddSingleton<MaintenanceGate>();
        return services;
    }
}
