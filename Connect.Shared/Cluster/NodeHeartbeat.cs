using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Connect.Shared.Cluster;

/// <summary>
/// Keeps this node's row in the nodes table alive: registers on start, heartbeats every
/// <see cref="NodeRegistry.HeartbeatInterval"/>, marks the node stopped on a clean shutdown.
/// A failed heartbeat (database away) is logged and retried; it never stops the node by itself.
/// </summary>
public sealed partial class NodeHeartbeat(
    NodeRegistry registry, NodeIdentity identity, Configuration.ConnectOptions options, TimeProvider clock, ILogger<NodeHeartbeat> logger)
    : BackgroundService
{
    private static readonly TimeSpan SkewWarningEvery = TimeSpan.FromMinutes(1);
    private DateTimeOffset _lastSkewWarning = DateTimeOffset.MinValue;

    /// <summary>This node's clock minus the database's, as of the last heartbeat.</summary>
    public TimeSpan? ClockOffset { get; private set; }

    /// <summary>Since when heartbeats have been failing (the database cannot be reached), or null while they succeed.</summary>
    public DateTimeOffset? DatabaseUnreachableSince { get; private set; }

    /// <summary>When heartbeats last succeeded again after failing.</summary>
    public DateTimeOffset? DatabaseBackAt { get; private set; }

    /// <summary>
    /// True while this node cannot reach the database, and for <paramref name="grace"/> after it can again. Every
    /// node's heartbeats stop during a database outage, so until the nodes have had time to heartbeat again, a
    /// stale heartbeat says nothing about whether its node is alive.
    /// </summary>
    public bool RecentlyCutOff(TimeSpan grace) =>
        DatabaseUnreachableSince is not null || DatabaseBackAt is { } back && clock.GetUtcNow() - back < grace;

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
            LogDeregisterFailed(identity.Name, e.Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(NodeRegistry.HeartbeatInterval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var offset = await registry.HeartbeatAsync(identity, stoppingToken);
                if (offset is null)
                {
                    // Someone removed or took over our row (an operator, or a second node started with
                    // the same Node.Name): register again so the cluster view stays truthful.
                    LogRowLost(identity.Name);
                    await registry.RegisterAsync(identity, stoppingToken);
                    continue;
                }

                ClockOffset = offset;
                if (DatabaseUnreachableSince is not null)
                {
                    DatabaseBackAt = clock.GetUtcNow();
                    DatabaseUnreachableSince = null;
                }

                var now = clock.GetUtcNow();
                if (offset.Value.Duration() > options.Node.MaxClockSkew && now - _lastSkewWarning >= SkewWarningEvery)
                {
                    _lastSkewWarning = now;
                    LogClockSkew(identity.Name, offset.Value.TotalMilliseconds, options.Node.MaxClockSkew.TotalMilliseconds);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                DatabaseUnreachableSince ??= clock.GetUtcNow();
                LogHeartbeatFailed(identity.Name, e.Message);
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
    private partial void LogDeregisterFailed(string name, string reason);
}
