using Connect.Shared.Operations;

namespace Connect.Runtime.Api;

internal static class MaintenanceRoutes
{
    /// <summary>
    /// The route's handler runs only once no maintenance pause holds (see <see cref="MaintenanceGate"/>): for routes
    /// that write to the data directory (uploads, deletes). Added after <c>RequireContent</c>, a refused caller is
    /// answered at once.
    /// </summary>
    public static TBuilder WaitsForMaintenance<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            await context.HttpContext.RequestServices.GetRequiredService<MaintenanceGate>().WaitAsync(context.HttpContext.RequestAborted);
            return await next(context);
        });
}
