namespace Connect.Shared.Files;

/// <summary>
/// Where things live in the data directory all nodes share: the one place its layout is written down. Paths that
/// are stored in the database (a bundle's folder, a render's output, a run's log) are relative to the data directory.
/// </summary>
public static class DataLayout
{
    /// <summary>Uploaded bundle archives: <c>bundles/{content id}/{bundle id}.tar.gz</c>.</summary>
    public const string Bundles = "bundles";

    /// <summary>Extracted bundles: <c>apps/{content id}/{bundle id}/</c>.</summary>
    public const string Apps = "apps";

    /// <summary>Rendered documents: <c>output/{content id}/{bundle id}-{task or job}/</c>.</summary>
    public const string Output = "output";

    /// <summary>Each item's writable <c>HOME</c>, kept across deploys: <c>home/{guid}/</c>.</summary>
    public const string Home = "home";

    /// <summary>Worker and run logs: <c>logs/{guid}/</c>.</summary>
    public const string Logs = "logs";

    /// <summary>The package cache and the libraries of bundles: <c>packages/</c>.</summary>
    public const string Packages = "packages";

    /// <summary>A path the database holds relative to the data directory (a bundle's folder, an item's rendered output).</summary>
    public static string Resolve(string dataDir, string relative) => Path.Combine(dataDir, relative);

    public static string ContentHome(string dataDir, string guid) => Path.Combine(dataDir, Home, guid);

    public static string ContentLogs(string dataDir, string guid) => Path.Combine(dataDir, Logs, guid);

    /// <summary>The archive of a bundle.</summary>
    public static string Archive(string dataDir, long contentId, long bundleId) => Path.Combine(dataDir, Bundles, contentId.ToString(), $"{bundleId}.tar.gz");

    /// <summary>A render's output folder, relative to the data directory (as the database keeps it).</summary>
    public static string RenderOutput(long contentId, string name) => Path.Combine(Output, contentId.ToString(), name);

    /// <summary>A scheduled run's log, relative to the data directory.</summary>
    public static string RunLog(string guid, string name) => Path.Combine(Logs, guid, name);
}
