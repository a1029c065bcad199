using Connect.Shared.Operations;
using Connect.Shared.Data;

namespace Connect.Runtime.Cluster;

/// <summary>
/// Re-reads the database's schema version every <see cref="Interval"/>. When another node has
/// migrated the schema past what this binary knows, this node must not go on writing with its old
/// idea of the tables: it says why, fails its health check, stops its workers and exits (code 3).
/// </summary>
internal sealed partial class SchemaWatch(SchemaState schema, NodeState state, IHostApplicationLifetime lifetime, TimeProvider clock, ILogger<SchemaWatch> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    /// <summary>Time for load balancers' health checks to see the 503 before the node goes.</summary>
    public static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            int version;
            try
            {
                version = await schema.ReadDatabaseVersionAsync(stoppingToken);
            }
            catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
            {
                LogUnreadable(e.Message, e);
                continue;
            }

            if (version > SchemaState.BinaryVersion)
            {
                var reason = $"the database schema is now version {version}, newer than this binary knows ({SchemaState.BinaryVersion}): "
                    + "another node was upgraded. Upgrade this node's binary and start it again.";
                LogNewerSchema(reason);
                state.Drain(reason, ExitCodes.SchemaTooNew);
                await Task.Delay(DrainTime, clock, stoppingToken);
                lifetime.StopApplication();
                return;
            }
        }
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Critical, Message = "Stopping this node: {Reason}")]
    private partial void LogNewerSchema(string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Could not read the schema version: {Reason}")]
    private partial void LogUnreadable(string reason, Exception exception);
}
