using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Connect.Shared.Files;

/// <summary>
/// File operations the node does as root on folders content can write (its home, its outputs): every step opens the
/// next folder with <c>openat(O_NOFOLLOW)</c> from the descriptor of the one before and acts on names relative to it
/// (<c>unlinkat</c>, <c>fchownat(AT_SYMLINK_NOFOLLOW)</c>), starting from a folder the node keeps itself, so a link that content plants, or swaps in for a folder
/// while the walk runs, is removed or skipped as a link and never followed. Names are listed through
/// <c>/proc/self/fd/N</c>, which stands for the folder already open, not for a path looked up again.
/// </summary>
public static class NoFollowTree
{
    private const int ReadOnly = 0, NoFollow = 0x20000, Directory = 0x10000, CloseOnExec = 0x80000, NonBlock = 0x800;
    private const int RemoveDirectory = 0x200, SymlinkNoFollow = 0x100;
    private const int NoEntry = 2, NotADirectory = 20, TooManyLinks = 40, NotEmpty = 39;

    /// <summary>One entry met on a walk: its path relative to the root, and what it was.</summary>
    public sealed record Entry(string RelativePath, FileSystemInfo Info, SafeFileHandle Folder, string Name);

    /// <summary>
    /// Opens a folder the node itself keeps (the data directory, <c>home/</c>, <c>output/{id}/</c>): the path is resolved
    /// as usual (an administrator may have put the data directory behind a link); only what lies below it is walked
    /// without following links. Null when it does not exist.
    /// </summary>
    public static SafeFileHandle? OpenTrusted(string path)
    {
        var handle = TryOpen(null, Path.GetFullPath(path), Directory, out var errno, followLinks: true);
        return handle ?? (errno == NoEntry ? null : throw Error(errno, $"opening {path}"));
    }

    /// <summary>Deletes the folder <paramref name="path"/> and everything in it; links in it are removed, never followed.</summary>
    public static void Delete(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        using var parent = OpenTrusted(Path.GetDirectoryName(full)!);
        if (parent is not null)
        {
            DeleteAt(parent, Path.GetFileName(full), depth: 0);
        }
    }

    /// <summary>Gives <paramref name="path"/> and everything in it to <paramref name="uid"/>:<paramref name="gid"/>; links are re-owned themselves, not their targets.</summary>
    public static void Own(string path, int uid, int gid)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        using var parent = OpenTrusted(Path.GetDirectoryName(full)!) ?? throw new DirectoryNotFoundException($"{Path.GetDirectoryName(full)} does not exist");
        OwnAt(parent, Path.GetFileName(full), uid, gid, depth: 0);
    }

    /// <summary>
    /// Every entry under <paramref name="root"/>, folders before what they hold; <paramref name="skip"/> says which
    /// relative paths not to enter. An entry that vanishes or turns into something else mid-walk is reported to
    /// <paramref name="problem"/> and skipped: a walk never fails because content changes its files.
    /// </summary>
    public static IEnumerable<Entry> Walk(string root, Func<string, bool> skip, Action<string, string> problem)
    {
        var top = OpenTrusted(root) ?? throw new DirectoryNotFoundException($"{root} does not exist");
        var pending = new Stack<(SafeFileHandle Folder, string Relative, int Depth)>([(top, "", 0)]);
        while (pending.TryPop(out var current))
        {
            using var folder = current.Folder;
            List<FileSystemInfo> children;
            try
            {
                children = List(folder);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problem(current.Relative, e.Message);
                continue;
            }

            foreach (var child in children)
            {
                var relative = current.Relative.Length == 0 ? child.Name : current.Relative + "/" + child.Name;
                if (skip(relative))
                {
                    continue;
                }

                yield return new Entry(relative, child, folder, child.Name);
                if (child is DirectoryInfo && child.LinkTarget is null)
                {
                    if (current.Depth + 1 > MaxDepth)
                    {
                        problem(relative, $"it lies deeper than {MaxDepth} folders, so what is in it was left out");
                        continue;
                    }

                    var inner = TryOpen(folder, child.Name, Directory, out var errno);
                    if (inner is null)
                    {
                        problem(relative, $"{new Win32Exception(errno).Message} (it changed while the walk ran)");
                        continue;
                    }

                    pending.Push((inner, relative, current.Depth + 1));
                }
            }
        }
    }

    /// <summary>Opens a regular file in an open folder for reading, never through a link; null (and why) when it is not one now.</summary>
    public static FileStream? OpenFile(SafeFileHandle folder, string name, out string? problem)
    {
        var handle = TryOpen(folder, name, NonBlock, out var errno);
        problem = null;
        if (handle is null)
        {
            problem = errno == TooManyLinks ? "it became a link while the walk ran" : new Win32Exception(errno).Message;
            return null;
        }

        var buffer = new byte[256];
        if (statx(handle, "", EmptyPath, 0x7ff, buffer) == 0 && (BitConverter.ToUInt16(buffer, 28) & TypeMask) == RegularType)
        {
            return new FileStream(handle, FileAccess.Read, bufferSize: 0);
        }

        handle.Dispose(); // a folder, a FIFO or a socket swapped in after the listing: nothing to copy
        problem = "it is no longer a regular file";
        return null;
    }

    /// <summary>The entries of an open folder, each described without following it (lstat of a name in that folder).</summary>
    private static List<FileSystemInfo> List(SafeFileHandle folder) =>
        [.. new DirectoryInfo(FdPath(folder)).EnumerateFileSystemInfos()];

    private static string FdPath(SafeFileHandle handle) => $"/proc/self/fd/{handle.DangerousGetHandle().ToInt32().ToString(CultureInfo.InvariantCulture)}";

    private static void DeleteAt(SafeFileHandle parent, string name, int depth)
    {
        CheckDepth(depth, name);
        for (var attempt = 0; ; attempt++)
        {
            var folder = TryOpen(parent, name, Directory, out var errno);
            if (folder is null)
            {
                if (errno == NoEntry)
                {
                    return;
                }

                if (errno is NotADirectory or TooManyLinks)
                {
                    // A file or a link (to anything): the name itself goes.
                    Check(unlinkat(parent, name, 0), name, ignore: NoEntry);
                    return;
                }

                throw Error(errno, $"opening {name} to delete it");
            }

            using (folder)
            {
                foreach (var child in List(folder))
                {
                    DeleteAt(folder, child.Name, depth + 1);
                }
            }

            var result = unlinkat(parent, name, RemoveDirectory);
            var error = result == 0 ? 0 : Marshal.GetLastPInvokeError();
            // Something wrote into the folder as it was emptied: once more, then give up with the reason.
            if (error != NotEmpty || attempt >= 3)
            {
                Check(result, name, ignore: NoEntry, errno: error);
                return;
            }
        }
    }

    private static void OwnAt(SafeFileHandle parent, string name, int uid, int gid, int depth)
    {
        CheckDepth(depth, name);
        Check(fchownat(parent, name, uid, gid, SymlinkNoFollow), name, ignore: NoEntry);
        using var folder = TryOpen(parent, name, Directory, out _);
        if (folder is null)
        {
            return; // a file or a link: done above
        }

        foreach (var child in List(folder))
        {
            OwnAt(folder, child.Name, uid, gid, depth + 1);
        }
    }

    /// <summary>Owner, group and mode (type bits included) of <paramref name="path"/> itself, not what a link points to; null when missing.</summary>
    public static (int Uid, int Gid, int Mode)? Describe(string path)
    {
        var buffer = new byte[256]; // struct statx: the same layout on every architecture
        if (statx(-100, path, SymlinkNoFollow, 0x7ff, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == NoEntry ? null : throw Error(errno, path);
        }

        return (BitConverter.ToInt32(buffer, 20), BitConverter.ToInt32(buffer, 24), BitConverter.ToUInt16(buffer, 28));
    }

    /// <summary>The type bits of a mode from <see cref="Describe"/>.</summary>
    public const int TypeMask = 0xF000, FolderType = 0x4000, RegularType = 0x8000;

    private const int EmptyPath = 0x1000;

    /// <summary>
    /// Folders nested deeper than this are not walked into: content can nest folders without end, and a walk that
    /// followed would run the node out of stack (a crash no handler catches) or of descriptors.
    /// </summary>
    public const int MaxDepth = 512;

    private static void CheckDepth(int depth, string name)
    {
        if (depth > MaxDepth)
        {
            throw new IOException($"{name} lies deeper than {MaxDepth} folders; it was left as it is");
        }
    }

    private static SafeFileHandle? TryOpen(SafeFileHandle? parent, string name, int flags, out int errno, bool followLinks = false)
    {
        flags |= ReadOnly | CloseOnExec | (followLinks ? 0 : NoFollow);
        var fd = parent is null ? openat(-100, name, flags, 0) : openat(parent, name, flags, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd < 0 ? null : new SafeFileHandle(fd, ownsHandle: true);
    }

    private static void Check(int result, string name, int ignore, int? errno = null)
    {
        if (result == 0)
        {
            return;
        }

        var error = errno ?? Marshal.GetLastPInvokeError();
        if (error != ignore)
        {
            throw Error(error, name);
        }
    }

    private static IOException Error(int errno, string what) => new($"{what}: {new Win32Exception(errno).Message}");

    [DllImport("libc", EntryPoint = "openat", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int openat(SafeFileHandle dirfd, string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "openat", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int openat(int dirfd, string path, int flags, int mode);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int unlinkat(SafeFileHandle dirfd, string path, int flags);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int statx(SafeFileHandle dirfd, string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int fchownat(SafeFileHandle dirfd, string path, int uid, int gid, int flags);
}
