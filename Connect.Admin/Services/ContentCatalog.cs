using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Packages;
using Connect.Shared.Scheduling;
using Connect.Shared.Tasks;

namespace Connect.Admin.Services;

/// <summary>One content item with its history, as the console's content page shows it.</summary>
/// <param name="Packages">The R packages its live bundle runs with, and where each comes from; null for a bundle without a library.</param>
public sealed record ContentDetails(
    ContentItem Item,
    IReadOnlyList<Bundle> Bundles,
    IReadOnlyList<TaskSummary> Deploys,
    IReadOnlyList<Schedule> Schedules,
    IReadOnlyList<JobRecord> Runs,
    BundleLibrary? Packages = null,
    IReadOnlyList<Connect.Shared.Usage.UsageDay>? Usage = null);

/// <summary>The console's read of published content, and the one change it makes to it: runtime settings.</summary>
public interface IContentCatalog
{
    /// <summary>At most <see cref="ContentCatalog.ListLimit"/> items, oldest first.</summary>
    Task<IReadOnlyList<ContentItem>> ListAsync(CancellationToken cancellationToken);

    Task<ContentDetails?> GetAsync(string guid, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> DeployLogAsync(string taskId, CancellationToken cancellationToken);

    Task<string> RunLogAsync(JobRecord run, CancellationToken cancellationToken);

    /// <summary>Saves the item's process settings, or names what is wrong with them (and saves nothing).</summary>
    Task<string?> SetOverridesAsync(ContentItem item, ProcessOverrides overrides, CancellationToken cancellationToken);
}

/// <summary>
/// Reads the shared database, and run logs from the shared data directory. Runtime settings are checked against
/// the same <c>*Limit</c> bounds the v1 API uses; nodes pick a change up within their one-second content cache.
/// </summary>
internal sealed class ContentCatalog(
    ConnectOptions options,
    ContentRepository contents,
    BundleRepository bundles,
    TaskRepository tasks,
    ScheduleRepository schedules,
    JobRepository jobs,
    PackageCache packages,
    Connect.Shared.Usage.UsageRepository usage,
    TimeProvider clock) : IContentCatalog
{
    /// <summary>How far back the page shows an item's use, day by day.</summary>
    public static readonly TimeSpan UsageShown = TimeSpan.FromDays(30);

    public const int ListLimit = 5000;

    /// <summary>The tail of a run log shown in the page; R's output of a long render can be large.</summary>
    private const int RunLogTail = 256 * 1024;

    private const int DeploysShown = 50;

    public async Task<IReadOnlyList<ContentItem>> ListAsync(CancellationToken cancellationToken) =>
        (await contents.ListAsync(null, null, 0, ListLimit, cancellationToken)).Items;

    public async Task<ContentDetails?> GetAsync(string guid, CancellationToken cancellationToken)
    {
        if (await contents.GetAsync(guid, cancellationToken) is not { } item)
        {
            return null;
        }

        return new ContentDetails(
            item,
            (await bundles.ListAsync(item.Id, cancellationToken)).OrderByDescending(b => b.Id).ToList(),
            await tasks.ListForContentAsync(item.Id, DeploysShown, cancellationToken),
            await schedules.ListAsync(item.Id, cancellationToken),
            (await jobs.ListAsync(item.Id, cancellationToken)).OrderByDescending(j => j.Id).ToList(),
            item.ActiveBundleId is { } active ? ReadLibrary(active) : null,
            await usage.DailyAsync(item.Id, clock.GetUtcNow() - UsageShown, cancellationToken));
    }

    private BundleLibrary? ReadLibrary(long bundleId)
    {
        try
        {
            return BundleLibrary.Read(packages, bundleId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return null; // the page shows the rest
        }
    }

    public async Task<IReadOnlyList<string>> DeployLogAsync(string taskId, CancellationToken cancellationToken) =>
        (await tasks.GetAsync(taskId, 0, cancellationToken))?.Output ?? [];

    public async Task<string> RunLogAsync(JobRecord run, CancellationToken cancellationToken)
    {
        // The path comes from the database; it must still lead into the data directory.
        if (run.LogPath is null || RealPath.ResolveInside(Path.Combine(options.DataDir, run.LogPath), options.DataDir) is not { } path)
        {
            return "This run has no log.";
        }

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var skipped = Math.Max(0, file.Length - RunLogTail);
        file.Seek(skipped, SeekOrigin.Begin);
        var text = await new StreamReader(file).ReadToEndAsync(cancellationToken);
        return skipped > 0 ? $"[the first {skipped:N0} bytes are left out]\n{text}" : text;
    }

    public async Task<string?> SetOverridesAsync(ContentItem item, ProcessOverrides overrides, CancellationToken cancellationToken)
    {
        if (overrides.Problems(options.Scheduler) is { } problem)
        {
            return problem;
        }

        await contents.SetOverridesAsync(item.Id, overrides, cancellationToken);
        return null;
    }
}
