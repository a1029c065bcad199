using Connect.Shared.Files;
using System.Runtime.InteropServices;

namespace Connect.Runtime.Sandbox;

/// <summary>
/// This node process's own folder for what no one else may touch: its workers' sockets and its spare R processes.
/// It lies under a parent only the node's user may enter (<c>/run/connect</c> for a root node), made 0700 by the node
/// and refused when it exists as a link, with another owner or open to others: a local user who made it first could
/// otherwise swap links into it and aim the node's mounts and sockets anywhere. Each node process takes a folder of
/// its own in it (several nodes may share a machine); those of processes that no longer run are removed at start.
/// </summary>
internal sealed class NodeRuntimeFolder
{
    private NodeRuntimeFolder(string path)
    {
        Path = path;
        _resolvConf = new(() =>
        {
            var file = System.IO.Path.Combine(Path, "resolv.conf");
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = (UnixFileMode)0x1A4 }; // 0644
            using (var writer = new StreamWriter(new FileStream(file, options)))
            {
                writer.Write("nameserver 10.0.2.3\n");
            }

            return file;
        });
    }

    /// <summary>This node process's folder (0700, the node's own).</summary>
    public string Path { get; }

    /// <summary>A resolver file naming slirp4netns's DNS forwarder, bound over the sandbox's <c>/etc/resolv.conf</c>.</summary>
    public string ResolvConf => _resolvConf.Value;

    private readonly Lazy<string> _resolvConf;

    /// <summary>Where each node process on this machine keeps its folder.</summary>
    public static string Parent => RunAsAccount.NodeIsRoot ? "/run/connect" : System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"connect-{geteuid()}");

    /// <summary>Makes (or checks) the parent, sweeps folders of dead node processes, and makes this process's folder.</summary>
    public static NodeRuntimeFolder Create()
    {
        var parent = Parent;
        if (mkdir(parent, 0x1C0) != 0 && Marshal.GetLastPInvokeError() != 17 /* EEXIST */)
        {
            throw new IOException($"cannot make {parent}: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        if (Problem(parent) is { } problem)
        {
            throw new IOException($"{parent} cannot hold this node's sockets and mounts: {problem}. Remove it; the node makes it anew.");
        }

        foreach (var folder in Directory.GetDirectories(parent))
        {
            if (int.TryParse(System.IO.Path.GetFileName(folder).Split('-')[0], out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Sweep(folder);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another node starting on this machine is sweeping it too.
                }
            }
        }

        var path = System.IO.Path.Combine(parent, $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        if (mkdir(path, 0x1C0) != 0)
        {
            throw new IOException($"cannot make {path}: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        return new NodeRuntimeFolder(path);
    }

    /// <summary>Why <paramref name="folder"/> is not a folder that only this process's user can enter, or null.</summary>
    internal static string? Problem(string folder)
    {
        var (uid, _, mode) = NoFollowTree.Describe(folder) ?? throw new DirectoryNotFoundException(folder);
        return (mode & NoFollowTree.TypeMask) != NoFollowTree.FolderType ? "it is not a folder (a link?)"
            : uid != (int)geteuid() ? $"it belongs to uid {uid}, not to this node's uid {geteuid()}"
            : (mode & 0x3F) != 0 ? $"its mode is {Convert.ToString(mode & 0x1FF, 8)}: others may enter it (it must be 700)"
            : null;
    }

    /// <summary>Removes what a dead node process left: its mounts first (deepest first), then its files.</summary>
    public static void Sweep(string folder)
    {
        SpareMounts.UnmountAllUnder(folder);
        if (SpareMounts.MountPointsUnder(folder).Count > 0)
        {
            return; // never a delete that could reach a content's home through a bind left in place
        }

        try
        {
            NoFollowTree.Delete(folder);
        }
        catch (IOException)
        {
            // A mount still busy: left for the next start.
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int mkdir(string path, int mode);
}
