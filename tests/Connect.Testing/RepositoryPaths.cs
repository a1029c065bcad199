namespace Connect.Testing;

/// <summary>Finds the repository and the built programs from a test's output folder.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: whatever the tests themselves were built as.</summary>
    public static string BuildConfiguration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string ConnectDll => Built("Connect.Runtime", "connect.dll");

    public static string AdminDll => Built("Connect.Admin", "Connect.Admin.dll");

    private static string Built(string project, string file)
    {
        var path = Path.Combine(Root, project, "bin", BuildConfiguration, "net10.0", file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; build the solution first", path);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Connect.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Connect.sln above {AppContext.BaseDirectory}");
    }
}
