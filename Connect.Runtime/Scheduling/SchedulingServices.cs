using Connect.Shared.Scheduling;

namespace Connect.Runtime.Scheduling;

internal static class SchedulingServices
{
    /// <summary>Schedules, the job table, and this node's share of the scheduled renders.</summary>
    public static IServiceCollection AddScheduling(this IServiceCollection services)
    {
        services.AddHostedService<ScheduledRenderRunner>();
        return services;
    }
}
