using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Connect.Shared.Cluster;

/// <summary>
/// Keeps this node's row in the nodes table alive: registers on start, heartbeats every
/// <see cref="NodeRegistry.HeartbeatInterval"/>, marks the node stopped on a clean shutdown.
/// A failed heartbeat (database away) is logged and retried; it never stops the node by itself. Each heartbeat has a
/// deadline, so a database that hangs instead of refusing is seen as away within it (<see cref="DatabaseHealth"/>).
/// </summary>
public sealed partial class NodeHeartbeat(
    NodeRegistry registry, NodeIdentity identity, Configuration.ConnectOptions options, Data.DatabaseHealth health, TimeProvider clock,
    ILogger<NodeHeartbeat> logger)
    : BackgroundService
{
    /// <summary>A heartbeat not answered within this counts as failed.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan SkewWarningEvery = TimeSpan.FromMinutes(1);
    private DateTimeOffset _lastSkewWarning = DateTimeOffset.MinValue;

    /// <summary>This node's clock minus the database's, as of the last heartbeat.</summary>
    public TimeSpan? ClockOffset { get; private set; }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await registry.RegisterAsync(identity, cancellationToken);
        LogRegistered(identity.Name, identity.Url, identity.Version, identity.SchemaVersion);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await registry.DeregisterAsync(identity, cancellationToken);
            LogDeregistered(identity.Name);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogDeregisterFailed(identity.Name, e.Message, e);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(NodeRegistry.HeartbeatInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            using var waiting = health.Waiting();
            try
            {
                var beat = await Data.DatabaseWait.WithinAsync(t => registry.HeartbeatAsync(identity, t), Deadline, stoppingToken);
                health.Answered();
                if (beat is null)
                {
                    // Someone removed or took over our row (an operator, or a second node started with
                    // the same Node.Name): register again so the cluster view stays truthful.
                    LogRowLost(identity.Name);
                    await registry.RegisterAsync(identity, stoppingToken);
                    continue;
                }

                if (beat.ClockOffset is not { } offset)
                {
                    continue;
                }

                ClockOffset = offset;
                var now = clock.GetUtcNow();
                if (offset.Duration() > options.Node.MaxClockSkew && now - _lastSkewWarning >= SkewWarningEvery)
                {
                    _lastSkewWarning = now;
                    LogClockSkew(identity.Name, offset.TotalMilliseconds, options.Node.MaxClockSkew.TotalMilliseconds);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                health.Failed();
                LogHeartbeatFailed(identity.Name, e is OperationCanceledException or TimeoutException
                    ? $"the database did not answer within {Deadline.TotalSeconds:0} s"
                    : e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Node {Name} registered at {Url} (version {Version}, schema {SchemaVersion})")]
    private partial void LogRegistered(string name, string url, string version, int schemaVersion);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Node {Name} deregistered")]
    private partial void LogDeregistered(string name);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Heartbeat of node {Name} failed: {Reason}")]
    private partial void LogHeartbeatFailed(string name, string reason);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Node {Name} lost its row in the nodes table (another node with the same Node.Name?); registering again")]
    private partial void LogRowLost(string name);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning,
        Message = "Clock skew: the clock of node {Name} is {OffsetMs:0} ms off the database's (more than Node.MaxClockSkew = {MaxMs:0} ms). Synchronise the clocks of all nodes (NTP); cluster decisions use the database's clock.")]
    private partial void LogClockSkew(string name, double offsetMs, double maxMs);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Node {Name} could not deregister: {Reason}")]
    private partial void LogDeregisterFailed(string name, string reason, Exception exception);
}
