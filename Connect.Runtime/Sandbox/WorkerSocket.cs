using System.Runtime.InteropServices;
using Connect.Shared.Files;

namespace Connect.Runtime.Sandbox;

/// <summary>
/// Where a worker listens: a Unix socket in a folder of its own under the node's runtime folder, owned by the item's
/// uid and closed to everyone else (0700), seen inside the sandbox as <see cref="InsideFolder"/>. No content process
/// listens on TCP, so nothing another item or a local user can reach leads to a worker: only the node (root, or the
/// same user as content) and the worker's own uid can open its socket. The node also checks, on every connection,
/// that the process answering has that uid (<c>SO_PEERCRED</c>), so a worker that replaces its socket with a link to
/// another's cannot make the node carry its viewers there.
/// </summary>
internal static class WorkerSocket
{
    /// <summary>The socket folder as the worker sees it (bound over a folder in its private <c>/tmp</c>).</summary>
    public const string InsideFolder = "/tmp/.connect";

    /// <summary>The socket as the worker sees it.</summary>
    public const string InsidePath = InsideFolder + "/http.sock";

    /// <summary>
    /// Makes a worker's socket folder, given to <paramref name="user"/> (null: it stays the node's own). On a root node
    /// it is a tmpfs of its own, 64 KiB and 16 entries: the worker may write there, and must not be able to fill the
    /// host's <c>/run</c> by doing so.
    /// </summary>
    public static string Create(NodeRuntimeFolder runtime, string workerId, RunAsAccount? user)
    {
        var sockets = Directory.CreateDirectory(Path.Combine(runtime.Path, "sockets")).FullName;
        var folder = Path.Combine(sockets, workerId);
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (user is not null && RunAsAccount.NodeIsRoot)
        {
            const ulong NoSuid = 2, NoDev = 4, NoExec = 8;
            if (mount("tmpfs", folder, "tmpfs", NoSuid | NoDev | NoExec, $"size=64k,nr_inodes=16,mode=0700,uid={user.Uid},gid={user.Gid}") != 0)
            {
                throw new IOException($"cannot make the socket folder {folder}: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }

        return folder;
    }

    /// <summary>The socket's path on the host, for the node's connections.</summary>
    public static string HostPath(string folder) => Path.Combine(folder, "http.sock");

    /// <summary>Removes a worker's socket folder once it has exited (whatever the worker left in it goes, links unfollowed).</summary>
    public static void Remove(string folder)
    {
        if (folder.Length == 0)
        {
            return; // never made: the worker could not be set up
        }

        if (RunAsAccount.NodeIsRoot)
        {
            SpareMounts.Unmount(folder); // its tmpfs, with whatever the worker left in it
        }

        try
        {
            NoFollowTree.Delete(folder);
        }
        catch (IOException)
        {
            // Left for the sweep of the node's runtime folder at its next start.
        }
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int mount(string source, string target, string type, ulong flags, string data);
}
