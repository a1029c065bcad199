using Connect.Shared.Access;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Packages;
using Connect.Shared.Scheduling;
using Connect.Shared.Tasks;

namespace Connect.Admin.Services;

/// <summary>One content item with its history, as the dashboard's content page shows it.</summary>
/// <param name="Role">The caller's role on it (<see cref="ContentRoles.Owner"/> for owners, collaborators and administrators,
/// else <see cref="ContentRoles.Viewer"/>): a viewer is given the item alone, none of its history.</param>
/// <param name="Packages">The R packages its live bundle runs with, and where each comes from; null for a bundle without a library.</param>
public sealed record ContentDetails(
    ContentItem Item,
    IReadOnlyList<Bundle> Bundles,
    IReadOnlyList<TaskSummary> Deploys,
    IReadOnlyList<Schedule> Schedules,
    IReadOnlyList<JobRecord> Runs,
    BundleLibrary? Packages = null,
    IReadOnlyList<Connect.Shared.Usage.UsageDay>? Usage = null,
    string Role = ContentRoles.Owner)
{
    /// <summary>Who asked for it: changes made through it are recorded as hers.</summary>
    public Caller? Caller { get; init; }

    /// <summary>Whether the caller may see the item's history and settings, and change them.</summary>
    public bool MayChange => Role == ContentRoles.Owner;

    /// <summary>What a viewer is given: the item, and nothing of its history.</summary>
    public static ContentDetails ForViewer(ContentItem item) => new(item, [], [], [], [], Role: ContentRoles.Viewer);
}

/// <summary>One row of the content list: the item, its vanity path (null when it has none) and its tags.</summary>
public sealed record ContentRow(ContentItem Item, string? VanityPath, IReadOnlyList<string> Tags);

/// <summary>
/// The dashboard's read of published content for one caller, by the same rules as the node (<see cref="ContentRules"/>),
/// and the one change it makes to it so far: runtime settings.
/// </summary>
public interface IContentCatalog
{
    /// <summary>What <paramref name="caller"/> may see (everything, for an administrator), at most <see cref="ContentCatalog.ListLimit"/> items, oldest first.</summary>
    Task<IReadOnlyList<ContentRow>> ListAsync(Caller caller, CancellationToken cancellationToken);

    /// <summary>The item with what the caller may see of it; null when it does not exist or she may not see it (the same answer for both).</summary>
    Task<ContentDetails?> GetAsync(string guid, Caller caller, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> DeployLogAsync(ContentDetails details, string taskId, CancellationToken cancellationToken);

    Task<string> RunLogAsync(ContentDetails details, JobRecord run, CancellationToken cancellationToken);

    /// <summary>Saves the item's process settings, or names what is wrong with them (and saves nothing).</summary>
    Task<string?> SetOverridesAsync(ContentDetails details, ProcessOverrides overrides, CancellationToken cancellationToken);
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
    VanityRepository vanities,
    TagRepository tags,
    IDashboardAudit audit,
    TimeProvider clock) : IContentCatalog
{
    /// <summary>How far back the page shows an item's use, day by day.</summary>
    public static readonly TimeSpan UsageShown = TimeSpan.FromDays(30);

    public const int ListLimit = 5000;

    private const int DeploysShown = 50;

    public async Task<IReadOnlyList<ContentRow>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        var items = caller.IsAdministrator
            ? (await contents.ListAsync(null, null, 0, ListLimit, cancellationToken)).Items
            : (await contents.ListVisibleAsync(caller.Id, cancellationToken)).Take(ListLimit).ToList();
        var vanity = (await vanities.ListAsync(cancellationToken)).ToDictionary(v => v.ContentId, v => v.Path);
        var tagged = await tags.OfContentAsync(cancellationToken);
        return items.Select(i => new ContentRow(i, vanity.GetValueOrDefault(i.Id),
            tagged.TryGetValue(i.Id, out var t) ? t.Select(x => x.Name).ToList() : [])).ToList();
    }

    public async Task<ContentDetails?> GetAsync(string guid, Caller caller, CancellationToken cancellationToken)
    {
        if (await contents.GetAsync(guid, cancellationToken) is not { } item
            || await ContentRules.RoleAsync(contents.RoleOfAsync, caller, item, cancellationToken) is not { } role)
        {
            return null;
        }

        if (role != ContentRoles.Owner)
        {
            return ContentDetails.ForViewer(item) with { Caller = caller };
        }

        return new ContentDetails(
            item,
            (await bundles.ListAsync(item.Id, cancellationToken)).OrderByDescending(b => b.Id).ToList(),
            await tasks.ListForContentAsync(item.Id, DeploysShown, cancellationToken),
            await schedules.ListAsync(item.Id, cancellationToken),
            (await jobs.ListAsync(item.Id, cancellationToken)).OrderByDescending(j => j.Id).ToList(),
            item.ActiveBundleId is { } active ? ReadLibrary(active) : null,
            await usage.DailyAsync(item.Id, clock.GetUtcNow() - UsageShown, cancellationToken)) { Caller = caller };
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

    public async Task<IReadOnlyList<string>> DeployLogAsync(ContentDetails details, string taskId, CancellationToken cancellationToken) =>
        details.MayChange && details.Deploys.Any(d => d.Id == taskId) ? (await tasks.GetAsync(taskId, 0, cancellationToken))?.Output ?? [] : [];

    public async Task<string> RunLogAsync(ContentDetails details, JobRecord run, CancellationToken cancellationToken)
    {
        if (!details.MayChange || run.ContentId != details.Item.Id)
        {
            return "This run has no log.";
        }

        // The path comes from the database; it must still lead into the data directory.
        if (run.LogPath is null || RealPath.ResolveInside(Path.Combine(options.DataDir, run.LogPath), options.DataDir) is not { } path)
        {
            return "This run has no log.";
        }

        return await LogTail.ReadAsync(path, cancellationToken);
    }

    public async Task<string?> SetOverridesAsync(ContentDetails details, ProcessOverrides overrides, CancellationToken cancellationToken)
    {
        if (!details.MayChange)
        {
            return "only the item's owner, a collaborator or an administrator may change its settings";
        }

        if (overrides.Problems(options.Scheduler) is { } problem)
        {
            return problem;
        }

        await contents.SetOverridesAsync(details.Item.Id, overrides, cancellationToken);
        await audit.RecordAsync(details.Caller, "update_content", $"runtime settings of {details.Item.Name}");
        return null;
    }
}
