using Connect.Shared.Configuration;
using Connect.Shared.Content;

namespace Connect.Runtime.Processes;

/// <summary>The process limits in force for one content item on this node: its overrides, else <c>[Scheduler]</c>.</summary>
internal sealed record WorkerSettings(
    int MinProcesses, int MaxProcesses, int MaxConnsPerProcess, double LoadFactor, TimeSpan IdleTimeout, TimeSpan InitTimeout)
{
    public static WorkerSettings For(ContentItem content, SchedulerOptions s)
    {
        var o = content.Overrides;
        var max = o.MaxProcesses ?? s.MaxProcesses;
        return new WorkerSettings(
            Math.Min(o.MinProcesses ?? s.MinProcesses, max),
            max,
            o.MaxConnsPerProcess ?? s.MaxConnsPerProcess,
            o.LoadFactor ?? s.LoadFactor,
            o.IdleTimeout ?? s.IdleTimeout,
            o.InitTimeout ?? s.InitTimeout);
    }

    /// <summary>
    /// Connections a worker takes before another one is started for the same content: the spawn rule is
    /// "start a new worker when every worker has at least this many, and fewer than MaxProcesses run".
    /// </summary>
    public double SpawnThreshold => LoadFactor * MaxConnsPerProcess;
}
