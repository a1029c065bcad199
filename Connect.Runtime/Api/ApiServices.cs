using Connect.Runtime.Api.Legacy;
using Connect.Runtime.Api.V1;

namespace Connect.Runtime.Api;

/// <summary>The whole HTTP API of a node, mapped in one place: the v1 API, the legacy API rsconnect 0.8 speaks, bootstrap.</summary>
internal static class ApiServices
{
    public static IServiceCollection AddConnectApi(this IServiceCollection services)
    {
        services.AddSingleton<JobSources>();
        return services;
    }

    public static void MapConnectApi(this WebApplication app)
    {
        app.MapLegacyPublishingApi();
        app.MapContentApi();
        app.MapPermissionsApi();
        app.MapVanityApi();
        app.MapTagsApi();
        app.MapServerSettingsApi();
        app.MapUsageApi();
        app.MapBootstrapApi();
        app.MapPackagesApi();
        app.MapRuntimeCachesApi();
        app.MapUsersApi();
        app.MapRemoteAccountsApi();
        app.MapProcessApi();
        app.MapNodesApi();
        app.MapScheduleApi();
        app.MapJobsApi();
    }
}
