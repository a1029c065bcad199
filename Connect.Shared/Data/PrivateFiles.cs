namespace Connect.Shared.Data;

/// <summary>
/// Folders and files only the node's own user may open: the data directory, the database. They are
/// created with that mode, never created open and tightened afterwards, so there is no moment when
/// another user could read them.
/// </summary>
public static class PrivateFiles
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode OthersMask = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the folder (and missing parents) as 0700; an existing one open to others is closed. True if it had to be.</summary>
    public static bool EnsureFolder(string path)
    {
        if (!Directory.Exists(path))
        {
            Directory.CreateDirectory(path, FolderMode);
            return false;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & OthersMask) == 0)
        {
            return false;
        }

        File.SetUnixFileMode(path, mode & ~OthersMask);
        return true;
    }

    /// <summary>Creates an empty file as 0600 if it does not exist yet.</summary>
    public static void EnsureFile(string path)
    {
        try
        {
            using var _ = new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode });
        }
        catch (IOException) when (File.Exists(path))
        {
            // Already there (another process made it first).
        }
    }
}
