using System.Text.Json;

namespace Connect.Shared.Metrics;

/// <summary>
/// A node's hold on its <c>Metrics.DataPath</c>, which must be its own: two nodes writing one store would
/// mix their figures. The folder's <c>holder</c> file names the node that uses it, and stays locked
/// (<c>flock</c>) while that node runs. A second node is refused, naming the holder, if the lock is held
/// on this host or the holder is alive in the cluster (its heartbeat is fresh: another host sharing the
/// folder); a dead holder's claim is taken over.
/// </summary>
public sealed class MetricsClaim : IDisposable
{
    private readonly FileStream _lock;

    private MetricsClaim(FileStream held) => _lock = held;

    private sealed record Holder(string Node, string InstanceId, string Host, int Pid, DateTimeOffset At);

    /// <summary>
    /// Takes the claim for <paramref name="node"/>, or gives the reason it cannot. <paramref name="isLive"/> tells
    /// whether a named node is running (its heartbeat is fresh) somewhere in the cluster.
    /// </summary>
    public static async Task<(MetricsClaim? Claim, string? Refusal)> TakeAsync(
        string directory, string node, string instanceId, Func<string, Task<bool>> isLive)
    {
        Data.PrivateFiles.EnsureFolder(directory);
        var path = Path.Combine(directory, "holder");
        FileStream held;
        try
        {
            // .NET takes an exclusive flock for FileShare.None on Unix: a live process on this host keeps it.
            held = new FileStream(Path.Combine(directory, "holder.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var holder = Read(path);
            return (null, $"Metrics.DataPath {directory} is in use by node '{holder?.Node ?? "unknown"}' on this host"
                + $"{(holder is null ? "" : $" (pid {holder.Pid})")}; give every node its own Metrics.DataPath");
        }

        try
        {
            var previous = Read(path);
            if (previous is not null && previous.Node != node && await isLive(previous.Node))
            {
                held.Dispose();
                return (null, $"Metrics.DataPath {directory} is in use by node '{previous.Node}' (on {previous.Host}), which is running; "
                    + "give every node its own Metrics.DataPath");
            }

            File.WriteAllText(path, JsonSerializer.Serialize(new Holder(node, instanceId, Environment.MachineName, Environment.ProcessId, DateTimeOffset.UtcNow)));
            return (new MetricsClaim(held), null);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>The node named in a folder's holder file, if any (for the console's shared-path warning).</summary>
    public static string? HolderOf(string directory) => Read(Path.Combine(directory, "holder"))?.Node;

    private static Holder? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Holder>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _lock.Dispose();
}
