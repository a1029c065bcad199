using System.Diagnostics;
using Connect.Runtime.Metrics;
using Connect.Runtime.Processes;
using Connect.Shared.Metrics;

namespace Connect.Runtime.Cluster;

/// <summary>
/// Reads CPU and memory from <c>/proc</c> once a second (the sampler calls <see cref="Refresh"/>): CPU is a share
/// of the time since the previous reading, so every reader of <see cref="Current"/> sees the same figures.
/// </summary>
internal sealed class HostUsage(WorkerPool pool, TimeProvider clock)
{
    private (long Busy, long Total)? _hostTicks;
    private (TimeSpan Cpu, DateTimeOffset At) _node;
    private readonly Dictionary<string, (TimeSpan Cpu, DateTimeOffset At)> _workerCpu = [];

    public UsageReading Current { get; private set; } = new(0, 0, 0, 0, 0);

    public IReadOnlyList<WorkerLive> Workers { get; private set; } = [];

    public void Refresh()
    {
        var now = clock.GetUtcNow();
        var hostCpu = HostCpu();
        var (used, total) = HostMemory();
        using var self = Process.GetCurrentProcess();
        var nodeCpu = Rate(_node, self.TotalProcessorTime, now);
        _node = (self.TotalProcessorTime, now);
        Current = new UsageReading(hostCpu, used, total, nodeCpu, self.WorkingSet64);

        var workers = new List<WorkerLive>();
        var seen = new HashSet<string>();
        var running = pool.Workers;
        var trees = ProcessTree.Usage(running.Where(w => w.Pid is not null).Select(w => w.Pid!.Value).ToList());
        foreach (var worker in running)
        {
            double cpu = 0;
            long memory = 0;
            if (worker.Pid is { } pid && trees.GetValueOrDefault(pid) is { } usage)
            {
                cpu = Rate(_workerCpu.GetValueOrDefault(worker.Id), usage.Cpu, now);
                _workerCpu[worker.Id] = (usage.Cpu, now);
                memory = usage.MemoryBytes;
            }

            seen.Add(worker.Id);
            workers.Add(new WorkerLive(worker.Id, worker.ContentGuid, worker.BundleId, worker.Pid, worker.Connections, cpu, memory, worker.StartedAt, worker.State.ToString()));
        }

        foreach (var gone in _workerCpu.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            _workerCpu.Remove(gone);
        }

        Workers = workers;
    }

    /// <summary>CPU used since the previous reading, in percent of one core; 0 without one.</summary>
    private static double Rate((TimeSpan Cpu, DateTimeOffset At) previous, TimeSpan cpu, DateTimeOffset now) =>
        previous.At == default || now <= previous.At ? 0 : Math.Max(0, (cpu - previous.Cpu).TotalSeconds / (now - previous.At).TotalSeconds * 100);

    /// <summary>Percent of all the host's CPUs busy since the previous reading (the first line of <c>/proc/stat</c>).</summary>
    private double HostCpu()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
            var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
            var total = fields.Take(8).Sum();
            var busy = total - idle;
            var previous = _hostTicks;
            _hostTicks = (busy, total);
            return previous is { } p && total > p.Total ? 100.0 * (busy - p.Busy) / (total - p.Total) : 0;
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    private static (long Used, long Total) HostMemory()
    {
        try
        {
            var values = File.ReadLines("/proc/meminfo")
                .Select(l => l.Split(':', 2))
                .Where(p => p.Length == 2)
                .ToDictionary(p => p[0], p => long.TryParse(p[1].Trim().Split(' ')[0], out var kb) ? kb * 1024 : 0);
            var total = values.GetValueOrDefault("MemTotal");
            return (total - values.GetValueOrDefault("MemAvailable"), total);
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }
}
