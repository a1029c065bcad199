namespace Connect.Testing;

/// <summary>Copies a folder tree with its files' and folders' modes, as <c>cp -a</c> would (for tests that move data by hand).</summary>
public static class FolderCopy
{
    public static void Copy(string from, string to)
    {
        foreach (var folder in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories).Prepend(from))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, folder));
            Directory.CreateDirectory(target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(folder));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            File.Copy(file, target);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file));
        }
    }
}
