using Connect.Shared.Usage;

namespace Connect.Runtime.Usage;

internal static class UsageServices
{
    /// <summary>Usage records: the recorder the content path hands page views and Shiny sessions to, and their repository.</summary>
    public static IServiceCollection AddUsage(this IServiceCollection services)
    {
        services.AddSingleton<UsageRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageRecorder>());
        return services;
    }
}
