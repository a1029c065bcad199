using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Security.Ldap;
using Connect.Shared.Tasks;
using Connect.Shared.Users;
using Connect.Runtime.Publishing;

namespace Connect.Runtime.Api.Json;

// The JSON shapes of the publishing APIs. Property names become snake_case on the wire.

/// <summary>A content item as rsconnect 0.8.x reads it (<c>/__api__/applications</c>).</summary>
internal sealed record ApplicationJson(
    long Id, string Guid, string Name, string? Title, string Url, long OwnerId, string OwnerUsername,
    string? AppMode, long? BundleId, DateTimeOffset CreatedTime, DateTimeOffset LastDeployedTime)
{
    /// <summary>rsconnect's <c>applications()</c> makes a table of it: never null (a null drops the column of that row).</summary>
    public string BuildStatus => BundleId is null ? "none" : "complete";

    public static ApplicationJson From(ContentItem c, string baseUrl) => new(
        c.Id, c.Guid, c.Name, c.Title, ContentUrls.Content(baseUrl, c), c.OwnerId, c.OwnerUsername,
        c.AppMode, c.ActiveBundleId, c.CreatedAt, c.LastDeployed);
}

/// <summary>
/// A content item in the v1 API, with the fields of the modelled product's reference that our model can answer
/// truthfully. What we do not model is given as the reference's "not set" (null, false, empty) rather than left out,
/// so clients that read every field find each one with its type. <c>owner</c> is there only when asked for
/// (<c>include=owner</c>).
/// </summary>
internal sealed record ContentJson(
    string Guid, long Id, string Name, string? Title, string? Description, string? AppMode, string OwnerGuid, string OwnerUsername,
    string? BundleId, string ContentUrl, DateTimeOffset CreatedTime, DateTimeOffset LastDeployedTime,
    int? MinProcesses, int? MaxProcesses, int? MaxConnsPerProcess, double? LoadFactor, double? IdleTimeout, double? InitTimeout,
    long? MemoryLimit, string? RunAs, string AccessType, string AppRole)
{
    public int? ConnectionTimeout => null;

    public int? ReadTimeout => null;

    public string ContentCategory => "";

    public bool Parameterized => false;

    public string ClusterName => "Local";

    public string? ImageName => null;

    public string? RVersion => null;

    public string? PyVersion => null;

    public string? QuartoVersion => null;

    public bool RunAsCurrentUser => false;

    /// <summary>The product can lock an item against changes; this server has no such lock (clients read the field).</summary>
    public bool Locked => false;

    public string LockedMessage => "";

    /// <summary>
    /// Where a person goes to see the item: its page in the dashboard (<c>Server.DashboardAddress</c>), else its content
    /// URL. Clients open it after a deploy and join paths onto it, so it is never null.
    /// </summary>
    public string DashboardUrl { get; init; } = "";

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public OwnerJson? Owner { get; init; }

    /// <summary>Asked for with <c>include=vanity_url</c>: the item's vanity URL, when it has one.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? VanityUrl { get; init; }

    /// <summary>Asked for with <c>include=tags</c>: the item's tags.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<object>? Tags { get; init; }

    public static ContentJson From(ContentItem c, string baseUrl, string appRole, bool includeOwner = false, IReadOnlyList<Tag>? tags = null, string? dashboardAddress = null) => new(
        c.Guid, c.Id, c.Name, c.Title, c.Description, c.AppMode, c.OwnerGuid ?? "", c.OwnerUsername, c.ActiveBundleId?.ToString(),
        ContentUrls.Content(baseUrl, c), c.CreatedAt, c.LastDeployed,
        c.Overrides.MinProcesses, c.Overrides.MaxProcesses, c.Overrides.MaxConnsPerProcess, c.Overrides.LoadFactor,
        c.Overrides.IdleTimeout?.TotalSeconds, c.Overrides.InitTimeout?.TotalSeconds, c.Overrides.MemoryLimit, c.RunAs, c.AccessType, appRole)
    {
        Owner = includeOwner ? new OwnerJson(c.OwnerGuid ?? "", c.OwnerUsername, null, null) : null,
        Tags = tags?.Select(TagJson.From).ToList(),
        DashboardUrl = dashboardAddress is { } dashboard ? ServerOptions.DashboardPage(dashboard, c.Guid) : ContentUrls.Content(baseUrl, c),
    };
}

/// <summary>A content item's owner, when a content listing is asked to include it.</summary>
internal sealed record OwnerJson(string Guid, string Username, string? FirstName, string? LastName);

internal sealed record BundleJson(string Id, long AppId, string ContentGuid, long Size, string AppMode, string? PrimaryFile, bool Active, DateTimeOffset CreatedTime)
{
    public static BundleJson From(Bundle b, ContentItem c) =>
        new(b.Id.ToString(), c.Id, c.Guid, b.Size, b.AppMode, b.PrimaryFile, c.ActiveBundleId == b.Id, b.CreatedAt);
}

/// <summary>
/// A user in the v1 API, with the reference's fields. Names, activity and confirmation are not modelled here: users
/// are made confirmed by an administrator, with no first or last name.
/// </summary>
/// <param name="Provider">Who vouches for the user: <c>local</c> (a password here), <c>ldap</c>, <c>oauth2</c> or <c>proxy</c>.</param>
/// <param name="ProviderId">The provider's stable id of her (the LDAP entry's UUID, the OpenID subject); null for local users.</param>
internal sealed record UserJson(long Id, string Guid, string Username, string? Email, string UserRole, DateTimeOffset CreatedTime, bool Locked, string Provider, string? ProviderId)
{
    public string? FirstName => null;

    public string? LastName => null;

    public DateTimeOffset UpdatedTime => CreatedTime;

    public DateTimeOffset? ActiveTime => null;

    public bool Confirmed => true;

    public static UserJson From(User u) =>
        new(u.Id, u.Guid, u.Username, u.Email, u.Role.ToString().ToLowerInvariant(), u.CreatedAt, u.Locked, u.Provider ?? "local", u.UniqueId);
}

/// <summary>
/// One person a remote search found: the reference's user fields (<c>guid</c> null while she is not here yet) and
/// the <c>temp_ticket</c> that adds her.
/// </summary>
internal sealed record RemoteUserJson(string? Guid, string Username, string? Email, string? UserRole, bool Locked, string Provider, string ProviderId, string TempTicket)
{
    public string? FirstName => null;

    public string? LastName => null;

    public static RemoteUserJson From(FoundPerson f) =>
        new(f.Here?.Guid, f.Here?.Username ?? f.Person.Username, f.Here?.Email ?? f.Person.Email, f.Here?.Role.ToString().ToLowerInvariant(), f.Here?.Locked ?? false,
            LdapDirectory.Provider, f.Person.UniqueId, f.Ticket);
}

/// <summary>A task as rsconnect 0.8.x polls it: <c>status</c> lines from <c>first_status</c> on, then <c>last_status</c>.</summary>
internal sealed record LegacyTaskJson(string Id, IReadOnlyList<string> Status, int LastStatus, bool Finished, int Code, string Error)
{
    public static LegacyTaskJson From(TaskState t) => new(t.Id, t.Output, t.Last, t.Finished, t.Code ?? 0, t.Error ?? "");
}

/// <summary>A task in the v1 API.</summary>
internal sealed record TaskJson(string Id, IReadOnlyList<string> Output, int Last, bool Finished, int Code, string Error, string? Result)
{
    public static TaskJson From(TaskState t) => new(t.Id, t.Output, t.Last, t.Finished, t.Code ?? 0, t.Error ?? "", t.Result);
}

internal sealed record CreateApplicationRequest(string? Name, string? Title);

internal sealed record DeployApplicationRequest(long? Bundle);

internal sealed record CreateContentRequest(string? Name, string? Title, string? Description);

/// <summary>
/// Fields left out (or null) stay as they are. Timeouts are in seconds, <c>memory_limit</c> in bytes. <c>run_as</c>
/// (administrators only) names a system user; an empty string gives the item back its own uid.
/// </summary>
internal sealed record PatchContentRequest(
    string? Title, string? Description, int? MinProcesses, int? MaxProcesses, int? MaxConnsPerProcess,
    double? LoadFactor, double? IdleTimeout, double? InitTimeout, string? AccessType, long? MemoryLimit = null, string? RunAs = null);

/// <summary>
/// Bounds on what a publisher may send, checked before the values are converted: each problem names its field. The
/// process settings' own bounds are <see cref="ProcessOverrides.Problems"/>, which the console uses too.
/// </summary>
internal static class ContentPatch
{
    public const int MaxConnsPerProcessLimit = ProcessOverrides.MaxConnsPerProcessLimit;
    public static readonly double MaxIdleTimeoutSeconds = ProcessOverrides.MaxIdleTimeout.TotalSeconds;
    public static readonly double MaxInitTimeoutSeconds = ProcessOverrides.MaxInitTimeout.TotalSeconds;

    public static List<string> Problems(PatchContentRequest body)
    {
        var problems = ContentInfo.Problems(body.Title, body.Description);

        if (body.MaxConnsPerProcess is > MaxConnsPerProcessLimit)
        {
            problems.Add($"max_conns_per_process may be at most {MaxConnsPerProcessLimit}");
        }

        if (body.LoadFactor is { } load && !double.IsFinite(load))
        {
            problems.Add("load_factor must be a number between 0 and 1");
        }

        if (body.IdleTimeout is { } idle && !(idle >= 0 && idle <= MaxIdleTimeoutSeconds))
        {
            problems.Add($"idle_timeout must be between 0 and {MaxIdleTimeoutSeconds} seconds");
        }

        if (body.InitTimeout is { } init && !(init > 0 && init <= MaxInitTimeoutSeconds))
        {
            problems.Add($"init_timeout must be more than 0 and at most {MaxInitTimeoutSeconds} seconds");
        }

        if (body.AccessType is { } access && !AccessTypes.Known.Contains(access))
        {
            problems.Add($"access_type must be one of all, logged_in, acl (not '{access}')");
        }

        return problems;
    }
}

internal sealed record EnvironmentVariable(string? Name, string? Value);

internal sealed record DeployContentRequest(string? BundleId);

internal static class ContentUrls
{
    /// <summary>The server's public URL: <c>Server.Address</c>, else what the request was addressed to.</summary>
    public static string BaseUrl(HttpContext context, ConnectOptions options) =>
        (options.Server.Address ?? $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}").TrimEnd('/');

    public static string Content(string baseUrl, ContentItem content) => $"{baseUrl}/content/{content.Guid}/";

    /// <summary>The item's page in the dashboard when <c>Server.DashboardAddress</c> is set, else its content URL.</summary>
    public static string Dashboard(ConnectOptions options, string baseUrl, ContentItem content) =>
        options.Server.DashboardPageOf(content.Guid) ?? Content(baseUrl, content);
}
