namespace Connect.Runtime.Operations;

internal static class OperationsServices
{
    /// <summary>What runs on every node for the administrator: the retention sweep (backup and restore are commands).</summary>
    public static IServiceCollection AddOperations(this IServiceCollection services) => services.AddHostedService<RetentionSweep>();
}
