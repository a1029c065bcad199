using Connect.Shared.Content;

namespace Connect.Runtime.Content;

internal static class ContentServices
{
    /// <summary>Serving content URLs: the item lookup (with its last answers), static files, rendered outputs and their sweep.</summary>
    public static IServiceCollection AddContentServing(this IServiceCollection services)
    {
        services.AddSingleton<ContentLookup>();
        services.AddSingleton<StaticFiles>();
        services.AddHostedService<OutputSweep>();
        return services;
    }
}
