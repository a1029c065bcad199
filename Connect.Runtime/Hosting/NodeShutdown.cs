using System.Net;
using System.Net.Sockets;
using Connect.Runtime.Processes;
using Connect.Runtime.Proxy;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Connect.Runtime.Hosting;

/// <summary>
/// How a node stops on SIGTERM, in order: for <c>Node.DrainPeriod</c> it keeps serving while <c>/__ping__</c> answers
/// 503 (so load balancers move clients away while the port is still open); then it stops listening, so a new connection
/// is refused at once and a load balancer sends it to another node; then no connection gets a worker any more, and every
/// open WebSocket gets a close frame (1012, "service restart": Shiny reconnects, and the reconnect, finding this node's
/// port closed, reaches a node that is not stopping at its first try); then its R workers are stopped (interrupt, then
/// kill after the grace period), which ends their proxied requests; then the web server lets what is still in flight
/// finish; then the node deregisters and exits 0.
/// </summary>
internal static partial class NodeShutdown
{
    /// <summary>How long the node waits to see its port refuse connections before it tells sessions to reconnect.</summary>
    private static readonly TimeSpan ClosedPortWait = TimeSpan.FromSeconds(2);

    public static void UseDrainingShutdown(this WebApplication app, TimeSpan drainPeriod)
    {
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var pool = app.Services.GetRequiredService<WorkerPool>();
        var webSockets = app.Services.GetRequiredService<OpenWebSockets>();
        var server = app.Services.GetRequiredService<IServer>();
        var shutdownTimeout = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostOptions>>().Value.ShutdownTimeout;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Connect.Node");
        lifetime.ApplicationStopping.Register(() =>
        {
            LogDraining(logger, drainPeriod.TotalSeconds);
            // Stopping callbacks run before the server stops listening: blocking here is what keeps the port
            // open (and /__ping__ saying 503) for the drain period.
            Thread.Sleep(drainPeriod);
            StopListening(server, shutdownTimeout, logger);
            pool.RefuseConnections();
            webSockets.CloseAllAsync(OpenWebSockets.ServiceRestart, "the server is stopping", TimeSpan.FromSeconds(2)).Wait();
            pool.StopAllAsync().Wait(WorkerLauncher.StopGracePeriod + TimeSpan.FromSeconds(2));
        });
    }

    /// <summary>
    /// Starts the web server's own stop early: it closes the listening sockets at once, and lets open connections finish
    /// (for as long as the host's shutdown timeout, as it would have anyway). The host's later stop joins this one.
    /// </summary>
    private static void StopListening(IServer server, TimeSpan shutdownTimeout, ILogger logger)
    {
        var endpoints = Endpoints(server).ToList();
        var graceful = new CancellationTokenSource(shutdownTimeout);
        _ = server.StopAsync(graceful.Token).ContinueWith(_ => graceful.Dispose(), TaskScheduler.Default);
        var deadline = DateTime.UtcNow + ClosedPortWait;
        while (endpoints.Any(Accepts) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        LogStoppedListening(logger, string.Join(", ", endpoints));
    }

    /// <summary>Where this node listens, as addresses a connection can be made to (loopback for "any address").</summary>
    private static IEnumerable<IPEndPoint> Endpoints(IServer server)
    {
        foreach (var address in server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            if (!Uri.TryCreate(address.Replace("://+:", "://0.0.0.0:").Replace("://*:", "://0.0.0.0:"), UriKind.Absolute, out var uri))
            {
                continue;
            }

            // A Unix socket ("http://unix:/path") or a host name other than localhost is not probed.
            var ip = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed
                : uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
                : null;
            if (ip is null)
            {
                continue;
            }

            yield return new IPEndPoint(
                ip.Equals(IPAddress.Any) ? IPAddress.Loopback : ip.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : ip, uri.Port);
        }
    }

    private static bool Accepts(IPEndPoint endpoint)
    {
        try
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            return socket.ConnectAsync(endpoint).Wait(TimeSpan.FromMilliseconds(200));
        }
        catch (AggregateException e) when (e.InnerException is SocketException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Stopping: /__ping__ answers 503 for {Seconds}s while requests are still served, then workers stop")]
    private static partial void LogDraining(ILogger logger, double seconds);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Stopped listening on {Endpoints}; open sessions are told to reconnect elsewhere")]
    private static partial void LogStoppedListening(ILogger logger, string endpoints);
}
