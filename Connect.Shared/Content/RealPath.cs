using System.Runtime.InteropServices;

namespace Connect.Shared.Content;

/// <summary>
/// The path with every symbolic link resolved, as the kernel would follow it (libc <c>realpath</c>).
/// Checking a path as text says nothing about where a chain of links (<c>a -&gt; .</c>,
/// <c>b -&gt; a/..</c>) really leads; this does.
/// </summary>
public static class RealPath
{
    /// <summary>The resolved path, or null when it does not exist or cannot be resolved (a loop, a dangling link).</summary>
    public static string? Resolve(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            free(resolved);
        }
    }

    /// <summary>True when the resolved <paramref name="realPath"/> is the resolved <paramref name="realFolder"/> or lies below it.</summary>
    public static bool Contains(string realFolder, string realPath) =>
        realPath == realFolder || realPath.StartsWith(realFolder.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>The real path of <paramref name="path"/> when it really lies inside <paramref name="folder"/> (itself resolved), else null.</summary>
    public static string? ResolveInside(string path, string folder) =>
        Resolve(folder) is { } root && Resolve(path) is { } real && Contains(root, real) ? real : null;

    [DllImport("libc", CharSet = CharSet.Ansi, SetLastError = true)]
    private static extern IntPtr realpath(string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);
}
