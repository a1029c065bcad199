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

    /// <summary>Checks overrides against the configured upper bounds; null when they are acceptable.</summary>
    public static string? Validate(ProcessOverrides o, SchedulerOptions s)
    {
        var problems = new List<string>();
        if (o.MinProcesses is < 0 || o.MinProcesses > s.MinProcessesLimit)
        {
            problems.Add($"min_processes must be between 0 and {s.MinProcessesLimit} (Scheduler.MinProcessesLimit)");
        }

        if (o.MaxProcesses is < 1 || o.MaxProcesses > s.MaxProcessesLimit)
        {
            problems.Add($"max_processes must be between 1 and {s.MaxProcessesLimit} (Scheduler.MaxProcessesLimit)");
        }

        if ((o.MinProcesses ?? s.MinProcesses) > (o.MaxProcesses ?? s.MaxProcesses))
        {
            problems.Add("min_processes may not be greater than max_processes");
        }

        if (o.MaxConnsPerProcess is < 1)
        {
            problems.Add("max_conns_per_process must be 1 or more");
        }

        if (o.LoadFactor is < 0 or > 1)
        {
            problems.Add("load_factor must be between 0 and 1");
        }

        if (o.IdleTimeout < TimeSpan.Zero || o.InitTimeout <= TimeSpan.Zero)
        {
            problems.Add("idle_timeout must be 0 or more and init_timeout more than 0 (seconds)");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }
}
