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

    /// <summary>True when <paramref name="path"/> really lies inside <paramref name="folder"/> (itself resolved).</summary>
    public static bool IsInside(string path, string folder) =>
        Resolve(folder) is { } root && Resolve(path) is { } real && (real == root || real.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal));

    [DllImport("libc", CharSet = CharSet.Ansi, SetLastError = true)]
    private static extern IntPtr realpath(string path, IntPtr resolved);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);
}
