namespace Connect.Runtime.Processes;

/// <summary>
/// CPU time and resident memory of a process and all its descendants, read from <c>/proc</c>. A worker's
/// own process is bubblewrap; the R doing the work is below it, in the sandbox's PID namespace.
/// </summary>
internal static class ProcessTree
{
    // USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>The usage of each root's tree, reading <c>/proc</c> once for all of them; a root that is gone is left out.</summary>
    public static Dictionary<int, (TimeSpan Cpu, long MemoryBytes)?> Usage(IReadOnlyCollection<int> rootPids)
    {
        var usage = new Dictionary<int, (TimeSpan Cpu, long MemoryBytes)?>();
        if (rootPids.Count == 0)
        {
            return usage;
        }

        var stats = new Dictionary<int, (int Parent, long Ticks, long Pages)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Read(pid) is { } stat)
            {
                stats[pid] = stat;
            }
        }

        var children = stats.ToLookup(s => s.Value.Parent, s => s.Key);
        foreach (var root in rootPids.Where(stats.ContainsKey))
        {
            long ticks = 0, pages = 0;
            var pending = new Queue<int>([root]);
            while (pending.TryDequeue(out var pid))
            {
                var (_, t, p) = stats[pid];
                ticks += t;
                pages += p;
                foreach (var child in children[pid])
                {
                    pending.Enqueue(child);
                }
            }

            usage[root] = (TimeSpan.FromSeconds(ticks / TicksPerSecond), pages * Environment.SystemPageSize);
        }

        return usage;
    }

    /// <summary>Parent, utime+stime and RSS pages from <c>/proc/{pid}/stat</c>; null if the process is gone.</summary>
    private static (int Parent, long Ticks, long Pages)? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 21
            && int.TryParse(fields[1], out var parent) && long.TryParse(fields[11], out var utime)
            && long.TryParse(fields[12], out var stime) && long.TryParse(fields[21], out var rss)
            ? (parent, utime + stime, rss)
            : null;
    }
}
