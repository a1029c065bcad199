using Connect.Shared.Configuration;

namespace Connect.Shared.Content;

/// <summary>How a bundle is run or served, as rsconnect's manifest names it.</summary>
public static class AppModes
{
    public const string Shiny = "shiny";
    public const string RmdStatic = "rmd-static";
    public const string RmdShiny = "rmd-shiny";
    public const string Api = "api";
    public const string Static = "static";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Shiny, RmdStatic, RmdShiny, Api, Static };

    /// <summary>What people call an item of <paramref name="appMode"/> (null: not deployed yet).</summary>
    public static string Label(string? appMode) => appMode switch
    {
        null => "not deployed",
        Shiny => "Shiny application",
        RmdShiny => "Shiny R Markdown",
        RmdStatic => "R Markdown",
        Api => "Plumber API",
        Static => "static site",
        _ => appMode,
    };
}

/// <summary>Who may view a content item, as the product we model names it.</summary>
public static class AccessTypes
{
    /// <summary>Anyone, signed in or not.</summary>
    public const string All = "all";

    /// <summary>Any signed-in user (or API key).</summary>
    public const string LoggedIn = "logged_in";

    /// <summary>The owner, administrators, and the users and groups on the item's permission list: the default.</summary>
    public const string Acl = "acl";

    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal) { All, LoggedIn, Acl };
}

/// <summary>A published item: what its URL <c>/content/{guid}/</c> serves is its active bundle.</summary>
public sealed record ContentItem(
    long Id,
    string Guid,
    string Name,
    string? Title,
    string? Description,
    long OwnerId,
    string OwnerUsername,
    string? AppMode,
    long? ActiveBundleId,
    string? OutputPath,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>This item's own process limits; null fields fall back to the <c>[Scheduler]</c> configuration.</summary>
    public ProcessOverrides Overrides { get; init; } = new();

    /// <summary>One of <see cref="AccessTypes"/>.</summary>
    public string AccessType { get; init; } = AccessTypes.Acl;

    /// <summary>The owner's GUID, as the v1 API names owners.</summary>
    public string? OwnerGuid { get; init; }

    /// <summary>The system user its R processes run as, set by an administrator; null: a uid of its own.</summary>
    public string? RunAs { get; init; }

    /// <summary>When a bundle of it last went live; null before its first deploy.</summary>
    public DateTimeOffset? DeployedAt { get; init; }

    /// <summary>What clients show as "last deployed": the last deploy, else its creation.</summary>
    public DateTimeOffset LastDeployed => DeployedAt ?? CreatedAt;
}

/// <summary>Per-content process limits set through the v1 API.</summary>
public sealed record ProcessOverrides(
    int? MinProcesses = null,
    int? MaxProcesses = null,
    int? MaxConnsPerProcess = null,
    double? LoadFactor = null,
    TimeSpan? IdleTimeout = null,
    TimeSpan? InitTimeout = null,
    long? MemoryLimit = null)
{
    /// <summary>Less than this and R does not start.</summary>
    public const long LeastMemory = 64L << 20;

    /// <summary>The most connections one worker may be given, whatever <c>[Scheduler]</c> allows.</summary>
    public const int MaxConnsPerProcessLimit = 1000;

    /// <summary>The longest idle and init timeouts an item may ask for.</summary>
    public static readonly TimeSpan MaxIdleTimeout = TimeSpan.FromDays(7), MaxInitTimeout = TimeSpan.FromHours(1);

    /// <summary>Checks these overrides against the configured upper bounds; null when they are acceptable.</summary>
    public string? Problems(SchedulerOptions s)
    {
        var problems = new List<string>();
        if (MemoryLimit is { } memory && (memory < LeastMemory || s.MaxMemoryLimit.Bytes > 0 && memory > s.MaxMemoryLimit.Bytes))
        {
            problems.Add(s.MaxMemoryLimit.Bytes > 0
                ? $"memory_limit must be between {LeastMemory} and {s.MaxMemoryLimit.Bytes} bytes (Scheduler.MaxMemoryLimit)"
                : $"memory_limit must be at least {LeastMemory} bytes");
        }

        if (MinProcesses is < 0 || MinProcesses > s.MinProcessesLimit)
        {
            problems.Add($"min_processes must be between 0 and {s.MinProcessesLimit} (Scheduler.MinProcessesLimit)");
        }

        if (MaxProcesses is < 1 || MaxProcesses > s.MaxProcessesLimit)
        {
            problems.Add($"max_processes must be between 1 and {s.MaxProcessesLimit} (Scheduler.MaxProcessesLimit)");
        }

        if ((MinProcesses ?? s.MinProcesses) > (MaxProcesses ?? s.MaxProcesses))
        {
            problems.Add("min_processes may not be greater than max_processes");
        }

        if (MaxConnsPerProcess is < 1)
        {
            problems.Add("max_conns_per_process must be 1 or more");
        }

        if (MaxConnsPerProcess is > MaxConnsPerProcessLimit)
        {
            problems.Add($"max_conns_per_process may be at most {MaxConnsPerProcessLimit}");
        }

        if (LoadFactor is { } load && !(load >= 0 && load <= 1))
        {
            problems.Add("load_factor must be between 0 and 1");
        }

        if (IdleTimeout < TimeSpan.Zero || InitTimeout <= TimeSpan.Zero)
        {
            problems.Add("idle_timeout must be 0 or more and init_timeout more than 0 (seconds)");
        }

        if (IdleTimeout > MaxIdleTimeout || InitTimeout > MaxInitTimeout)
        {
            problems.Add($"idle_timeout may be at most {MaxIdleTimeout.TotalSeconds} and init_timeout at most {MaxInitTimeout.TotalSeconds} seconds");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }
}

/// <summary>One uploaded archive of a content item, extracted into <see cref="Path"/> (relative to the data directory).</summary>
public sealed record Bundle(
    long Id,
    long ContentId,
    string Path,
    long Size,
    string AppMode,
    string? PrimaryFile,
    IReadOnlyList<string> Packages,
    DateTimeOffset CreatedAt);
