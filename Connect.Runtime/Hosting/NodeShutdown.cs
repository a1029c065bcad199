using Connect.Runtime.Processes;
using Connect.Runtime.Proxy;

namespace Connect.Runtime.Hosting;

/// <summary>
/// How a node stops on SIGTERM, in order: for <c>Node.DrainPeriod</c> it keeps serving while
/// <c>/__ping__</c> answers 503 (so load balancers move clients away while the port is still open);
/// then no connection gets a worker any more, and every open WebSocket gets a close frame (1012, "service
/// restart": Shiny reconnects, through the load balancer, to a node that is not stopping); then its R
/// workers are stopped (interrupt, then kill after the grace period), which ends their proxied requests;
/// then the web server stops, letting what is still in flight finish; then the node deregisters and exits 0.
/// </summary>
internal static partial class NodeShutdown
{
    public static void UseDrainingShutdown(this WebApplication app, TimeSpan drainPeriod)
    {
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var pool = app.Services.GetRequiredService<WorkerPool>();
        var webSockets = app.Services.GetRequiredService<OpenWebSockets>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Connect.Node");
        lifetime.ApplicationStopping.Register(() =>
        {
            LogDraining(logger, drainPeriod.TotalSeconds);
            // Stopping callbacks run before the server stops listening: blocking here is what keeps the port
            // open (and /__ping__ saying 503) for the drain period.
            Thread.Sleep(drainPeriod);
            pool.RefuseConnections();
            webSockets.CloseAllAsync(OpenWebSockets.ServiceRestart, "the server is stopping", TimeSpan.FromSeconds(2)).Wait();
            pool.StopAllAsync().Wait(WorkerLauncher.StopGracePeriod + TimeSpan.FromSeconds(2));
        });
    }

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Stopping: /__ping__ answers 503 for {Seconds}s while requests are still served, then workers stop")]
    private static partial void LogDraining(ILogger logger, double seconds);
}
