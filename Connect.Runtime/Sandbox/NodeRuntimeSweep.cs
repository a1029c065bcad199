namespace Connect.Runtime.Sandbox;

/// <summary>
/// At start, a root node takes its runtime folder at once, not at its first worker: making it sweeps what killed node
/// processes on this machine left (their folders, socket mounts and network namespaces), even on a node that then
/// never starts R.
/// </summary>
internal sealed partial class NodeRuntimeSweep(ContentSandbox sandbox, Lazy<NodeRuntimeFolder> runtime, ILogger<NodeRuntimeSweep> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (RunAsAccount.NodeIsRoot && sandbox.Problem is null)
        {
            try
            {
                _ = runtime.Value;
            }
            catch (IOException e)
            {
                LogUnusable(e.Message, e); // each worker says so too, when it cannot start
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 705, Level = LogLevel.Critical, Message = "R content cannot run on this node: {Problem}")]
    private partial void LogUnusable(string problem, Exception exception);
}
