using System.Runtime.InteropServices;

namespace Connect.Runtime.Sandbox;

/// <summary>
/// The mounts that give a spare R process its content after it has started. A spare's sandbox binds its own folder
/// under <see cref="Root"/>, a shared mount: bubblewrap makes every mount of the sandbox a slave of the node's, so a
/// bind the node later makes inside that folder (the bundle, the content's home) appears inside the running sandbox,
/// and nowhere else. Only a root node may mount; <see cref="TryCreate"/> says why not otherwise.
/// </summary>
internal sealed class SpareMounts : IDisposable
{
    private const ulong ReadOnlyFlag = 1, Remount = 32, Bind = 4096, Private = 1 << 18, Shared = 1 << 20;
    private const int Detach = 2;

    private SpareMounts(string root, string staging)
    {
        Root = root;
        _staging = staging;
    }

    private readonly string _staging;

    /// <summary>This node's folder of spare folders, inside its own runtime folder (root's, 0700: no one else can put a link in the way of a mount).</summary>
    public string Root { get; }

    /// <summary>The root for this node process, made a shared mount; null and the reason when mounting is not possible.</summary>
    public static (SpareMounts? Mounts, string? Problem) TryCreate(NodeRuntimeFolder runtime)
    {
        if (!RunAsAccount.NodeIsRoot)
        {
            return (null, "the node does not run as root, so it cannot give a started R process its content's folders");
        }

        var root = Path.Combine(runtime.Path, "spares");
        Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (mount(root, root, null, Bind, 0) != 0 || mount(null, root, null, Shared, 0) != 0)
        {
            var error = Marshal.GetLastPInvokeErrorMessage();
            umount2(root, Detach); // the bind, should only the second step have failed: else the folder is busy and stays
            Directory.Delete(root);
            return (null, $"cannot make {root} a shared mount: {error}");
        }

        return (new SpareMounts(root, runtime.Path), null);
    }

    /// <summary>Binds <paramref name="source"/> read-only at <paramref name="target"/>, by way of a private staging mount.</summary>
    /// <remarks>A remount's read-only flag does not reach the copies a mount already propagated, so the read-only mount
    /// is made first, away from the shared root, and only then bound in.</remarks>
    public void BindReadOnly(string source, string target)
    {
        var staging = Path.Combine(_staging, $"staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            Check(mount(source, staging, null, Bind, 0), source);
            Check(mount(null, staging, null, Private, 0), staging);
            Check(mount(null, staging, null, Remount | Bind | ReadOnlyFlag, 0), staging);
            Check(mount(staging, target, null, Bind, 0), target);
        }
        finally
        {
            umount2(staging, Detach);
            Directory.Delete(staging);
        }
    }

    /// <summary>Binds <paramref name="source"/> writable at <paramref name="target"/>.</summary>
    public void BindWritable(string source, string target) => Check(mount(source, target, null, Bind, 0), target);

    /// <summary>Takes a mount away (lazily: a process still inside it keeps it until it leaves).</summary>
    public static void Unmount(string target) => umount2(target, Detach);

    /// <summary>Takes this node's root away, with whatever is still mounted under it.</summary>
    public void Dispose() => Remove(Root);

    private static void Remove(string root)
    {
        UnmountAllUnder(root);
        RemoveEmptyFolders(root, depth: 2); // root, its spares' folders, and their app and home
    }

    /// <summary>The mount points at or below <paramref name="folder"/>, deepest first (mountinfo's fifth field is the mount point).</summary>
    public static IReadOnlyList<string> MountPointsUnder(string folder) =>
        File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
            .Where(m => m == folder || m.StartsWith(folder + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Length)
            .ToList();

    /// <summary>Takes away everything mounted at or below <paramref name="folder"/>, deepest first.</summary>
    public static void UnmountAllUnder(string folder)
    {
        foreach (var point in MountPointsUnder(folder))
        {
            Unmount(point);
        }
    }

    /// <summary>
    /// Deletes the folder and its empty folders down to <paramref name="depth"/> levels, deepest first, and nothing else.
    /// Never a recursive delete, nor a look below a spare's mount points: should a bind still be in place, that would
    /// reach a bundle's files or a content's home through it.
    /// </summary>
    public static void RemoveEmptyFolders(string folder, int depth)
    {
        if (!Directory.Exists(folder))
        {
            return;
        }

        if (depth > 0)
        {
            foreach (var child in Directory.GetDirectories(folder))
            {
                RemoveEmptyFolders(child, depth - 1);
            }
        }

        try
        {
            Directory.Delete(folder);
        }
        catch (IOException)
        {
            // Not empty (a mount still in place, or a file): left alone.
        }
    }

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            throw new IOException($"mounting {what} failed: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int mount(string? source, string target, string? type, ulong flags, nint data);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int umount2(string target, int flags);
}
