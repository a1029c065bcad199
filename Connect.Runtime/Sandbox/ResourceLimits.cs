using System.Globalization;
using Connect.Shared.Configuration;

namespace Connect.Runtime.Sandbox;

/// <summary>
/// Memory and process-count limits for one R process and everything it starts: a cgroup of its own (v2 where the
/// unified hierarchy has the memory controller, else v1's memory and pids hierarchies, and cpu, where all content then
/// shares one weight against the node's own threads) that the process joins before
/// it becomes the sandbox, so nothing it forks escapes; where no cgroup can be made, <c>prlimit</c> (address space
/// per process, processes per uid). Over its memory, the kernel stops the process, and <see cref="LimitedProcess.OverMemory"/>
/// says so afterwards, for the process list and the worker's log.
/// </summary>
internal sealed class ResourceLimits
{
    private const string Root = "/sys/fs/cgroup";

    private enum Mechanism
    {
        CgroupV2,
        CgroupV1,
        Prlimit,
    }

    private readonly Mechanism _mechanism;
    private readonly string _name = $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
    private int _created;

    public ResourceLimits(SchedulerOptions options)
    {
        Options = options;
        var found = !RunAsAccount.NodeIsRoot ? Mechanism.Prlimit
            : File.Exists(Path.Combine(Root, "cgroup.controllers")) && File.ReadAllText(Path.Combine(Root, "cgroup.controllers")).Contains("memory", StringComparison.Ordinal) ? Mechanism.CgroupV2
            : Directory.Exists(Path.Combine(Root, "memory")) && Directory.Exists(Path.Combine(Root, "pids")) ? Mechanism.CgroupV1
            : Mechanism.Prlimit;
        _mechanism = found == Mechanism.Prlimit || CanMakeGroups(found, out _unusable) ? found : Mechanism.Prlimit;
    }

    private readonly string? _unusable;

    /// <summary>A hierarchy that is there but cannot be written (a container's read-only /sys/fs/cgroup) is not used.</summary>
    private bool CanMakeGroups(Mechanism mechanism, out string? problem)
    {
        try
        {
            var probe = mechanism == Mechanism.CgroupV2 ? CgroupV2("probe", 0, 64) : CgroupV1("probe", 0, 64);
            probe.RemoveAsync().GetAwaiter().GetResult();
            problem = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return false;
        }
    }

    public SchedulerOptions Options { get; }

    /// <summary>How limits are enforced on this node, for its start-up line.</summary>
    public string Describe() => _mechanism switch
    {
        Mechanism.CgroupV2 => "cgroup v2",
        Mechanism.CgroupV1 => "cgroup v1 (memory, pids)",
        _ => "prlimit (address space per process, processes per user)" + (_unusable is null ? "" : $"; cgroups could not be made: {_unusable}"),
    };

    /// <summary>Limits for one process; <paramref name="memoryBytes"/> 0 means no memory limit.</summary>
    public LimitedProcess Create(long memoryBytes, int processes)
    {
        var id = Interlocked.Increment(ref _created).ToString(CultureInfo.InvariantCulture);
        return _mechanism switch
        {
            Mechanism.CgroupV2 => CgroupV2(id, memoryBytes, processes),
            Mechanism.CgroupV1 => CgroupV1(id, memoryBytes, processes),
            _ => Prlimit(memoryBytes, processes),
        };
    }

    /// <summary>
    /// Without cgroups: the address space of each process, and (on a root node, whose content has uids of its own) the
    /// processes of its uid. A node that is not root runs content as its own user, whose count includes the node's own
    /// threads and everything else that user runs, so no process limit is set there.
    /// </summary>
    private static LimitedProcess Prlimit(long memoryBytes, int processes)
    {
        IReadOnlyList<string> limits = [.. memoryBytes > 0 ? [$"--as={memoryBytes}"] : Array.Empty<string>(), .. RunAsAccount.NodeIsRoot ? [$"--nproc={processes}"] : Array.Empty<string>()];
        return new LimitedProcess(limits.Count == 0 ? [] : ["/usr/bin/prlimit", .. limits, "--"], [], memoryBytes, () => false);
    }

    /// <summary>Cgroups of node processes that no longer run (killed): removed once empty.</summary>
    public void SweepDead()
    {
        foreach (var parent in _mechanism switch
                 {
                     Mechanism.CgroupV2 => [Path.Combine(Root, "connect")],
                     Mechanism.CgroupV1 => [Path.Combine(Root, "memory", "connect"), Path.Combine(Root, "pids", "connect"), Path.Combine(Root, "cpu", "connect")],
                     _ => Array.Empty<string>(),
                 })
        {
            if (!Directory.Exists(parent))
            {
                continue;
            }

            try
            {
                foreach (var node in Directory.GetDirectories(parent))
                {
                    if (int.TryParse(Path.GetFileName(node).Split('-')[0], out var pid) && !Directory.Exists($"/proc/{pid}"))
                    {
                        foreach (var group in Directory.GetDirectories(node).Append(node))
                        {
                            LimitedProcess.TryRemove(group);
                        }
                    }
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another node starting on this machine swept the same groups first: what is left goes next time.
            }
        }
    }

    private LimitedProcess CgroupV2(string id, long memoryBytes, int processes)
    {
        var top = Path.Combine(Root, "connect");
        var node = Path.Combine(top, _name);
        Directory.CreateDirectory(top);
        EnableControllers(Root);
        EnableControllers(top);
        Directory.CreateDirectory(node);
        EnableControllers(node);
        var group = Directory.CreateDirectory(Path.Combine(node, id)).FullName;
        File.WriteAllText(Path.Combine(group, "memory.max"), memoryBytes > 0 ? memoryBytes.ToString(CultureInfo.InvariantCulture) : "max");
        if (File.Exists(Path.Combine(group, "memory.swap.max")))
        {
            File.WriteAllText(Path.Combine(group, "memory.swap.max"), memoryBytes > 0 ? "0" : "max"); // no escape into swap
        }

        File.WriteAllText(Path.Combine(group, "pids.max"), processes.ToString(CultureInfo.InvariantCulture));
        return new LimitedProcess(Join([group]), [group], memoryBytes, () => Counter(Path.Combine(group, "memory.events"), "oom_kill") > 0);
    }

    private LimitedProcess CgroupV1(string id, long memoryBytes, int processes)
    {
        var memory = Directory.CreateDirectory(Path.Combine(Root, "memory", "connect", _name, id)).FullName;
        var pids = Directory.CreateDirectory(Path.Combine(Root, "pids", "connect", _name, id)).FullName;
        if (memoryBytes > 0)
        {
            File.WriteAllText(Path.Combine(memory, "memory.limit_in_bytes"), memoryBytes.ToString(CultureInfo.InvariantCulture));
            var swap = Path.Combine(memory, "memory.memsw.limit_in_bytes");
            if (File.Exists(swap))
            {
                File.WriteAllText(swap, memoryBytes.ToString(CultureInfo.InvariantCulture)); // memory and swap together: no escape into swap
            }
        }

        File.WriteAllText(Path.Combine(pids, "pids.max"), processes.ToString(CultureInfo.InvariantCulture));
        // All content shares the "connect" group's CPU weight against the node's own threads: a busy item slows other
        // content, never the node's answers (its pings, the API, static files) down to nothing.
        string[] groups = Directory.Exists(Path.Combine(Root, "cpu"))
            ? [memory, pids, Directory.CreateDirectory(Path.Combine(Root, "cpu", "connect", _name, id)).FullName]
            : [memory, pids];
        return new LimitedProcess(Join(groups), groups, memoryBytes,
            () => Counter(Path.Combine(memory, "memory.oom_control"), "oom_kill") > 0);
    }

    /// <summary>The process writes its own pid into each cgroup, then becomes the sandbox: whatever it starts is inside.</summary>
    private static IReadOnlyList<string> Join(IReadOnlyList<string> groups) =>
        ["/bin/sh", "-c", "for g in \"$@\"; do [ \"$g\" = -- ] && break; echo $$ > \"$g/cgroup.procs\" || exit 125; shift; done; shift; exec \"$@\"",
            "connect-limits", .. groups, "--"];

    /// <summary>Memory, pids, and (where there is one) cpu for the groups below: all content then shares one CPU weight.</summary>
    private static void EnableControllers(string group)
    {
        var available = File.ReadAllText(Path.Combine(group, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var wanted = available.Contains("cpu") ? new[] { "memory", "pids", "cpu" } : ["memory", "pids"];
        var control = Path.Combine(group, "cgroup.subtree_control");
        var enabled = File.ReadAllText(control).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (wanted.Except(enabled).Any())
        {
            File.WriteAllText(control, string.Join(' ', wanted.Select(c => "+" + c)));
        }
    }

    private static long Counter(string file, string name)
    {
        try
        {
            return File.ReadLines(file).Select(l => l.Split(' ')).Where(p => p.Length == 2 && p[0] == name)
                .Select(p => long.TryParse(p[1], out var n) ? n : 0).FirstOrDefault();
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

/// <summary>The limits of one R process: what runs it inside them, and whether it went over its memory.</summary>
internal sealed class LimitedProcess(IReadOnlyList<string> prefix, IReadOnlyList<string> groups, long memoryBytes, Func<bool> overMemory)
{
    /// <summary>The command line that joins the limits before it runs the rest.</summary>
    public IReadOnlyList<string> Prefix { get; } = prefix;

    public long MemoryBytes => memoryBytes;

    /// <summary>Whether the kernel stopped a process of it for going over its memory limit (read once it has ended).</summary>
    public bool OverMemory => memoryBytes > 0 && overMemory();

    /// <summary>Removes its cgroups once their processes are gone (a few tries: the last ones leave just after the exit).</summary>
    public async Task RemoveAsync()
    {
        for (var attempt = 0; attempt < 20 && groups.Any(Directory.Exists); attempt++)
        {
            foreach (var group in groups)
            {
                TryRemove(group);
            }

            if (groups.Any(Directory.Exists))
            {
                await Task.Delay(50);
            }
        }
    }

    internal static void TryRemove(string group)
    {
        try
        {
            if (Directory.Exists(group))
            {
                Directory.Delete(group); // a cgroup is removed with rmdir, its control files and all
            }
        }
        catch (IOException)
        {
            // Still has a process, or (a node's folder) other groups: left for later.
        }
    }
}
