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

    /// <summary>Makes a worker's socket folder, given to <paramref name="user"/> (null: it stays the node's own).</summary>
    public static string Create(NodeRuntimeFolder runtime, string workerId, RunAsAccount? user)
    {
        var sockets = Directory.CreateDirectory(Path.Combine(runtime.Path, "sockets")).FullName;
        var folder = Path.Combine(sockets, workerId);
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        user?.Own(folder);
        return folder;
    }

    /// <summary>The socket's path on the host, for the node's connections.</summary>
    public static string HostPath(string folder) => Path.Combine(folder, "http.sock");

    /// <summary>Removes a worker's socket folder once it has exited (whatever the worker left in it goes, links unfollowed).</summary>
    public static void Remove(string folder)
    {
        try
        {
            NoFollowTree.Delete(folder);
        }
        catch (IOException)
        {
            // Left for the sweep of the node's runtime folder at its next start.
        }
    }
}
