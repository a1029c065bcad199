using Connect.Shared.Access;
using Connect.Shared.Security.Ldap;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Files;
using Connect.Shared.Scheduling;
using Connect.Shared.Users;

namespace Connect.Admin.Services;

/// <summary>One entry of an item's permission list, with the name of whom it names.</summary>
public sealed record SharedWith(ContentPermission Permission, string Name);

/// <summary>A user or group an item can be shared with, as the dashboard's search finds them.</summary>
/// <param name="Ticket">For one the directory has but this server does not yet: the search's ticket that adds it when shared with (its <paramref name="Guid"/> is empty until then).</param>
public sealed record Principal(string Type, string Guid, string Name, bool CanPublish, string? Ticket = null);

/// <summary>One log file of an item's workers or renders in the shared logs folder.</summary>
public sealed record LogFile(string Name, long Size, DateTimeOffset ModifiedAt);

/// <summary>
/// What an item's owner, collaborators and administrators change in the dashboard: its info, access, variables and
/// schedules, through the same rules as the node's API (<see cref="ContentSharing"/>, <see cref="ContentEnvironment"/>,
/// <see cref="ScheduleBook"/>, <see cref="ContentInfo"/>); and its worker logs, read from the shared logs folder. Every
/// call is refused unless the caller may change the item (<see cref="ContentDetails.MayChange"/>). A change answers the
/// problem with it, or null.
/// </summary>
public interface IContentDesk
{
    Task<string?> UpdateInfoAsync(ContentDetails details, string? title, string? description, CancellationToken cancellationToken);

    Task<string?> SetAccessTypeAsync(ContentDetails details, string accessType, CancellationToken cancellationToken);

    /// <summary>The item's vanity path, or null.</summary>
    Task<string?> VanityAsync(ContentDetails details, CancellationToken cancellationToken);

    /// <summary>Gives the item a vanity path (blank: takes it away); administrators only, as in the API.</summary>
    Task<string?> SetVanityAsync(ContentDetails details, Caller caller, string? path, CancellationToken cancellationToken);

    /// <summary>Every tag there is, and the item's.</summary>
    Task<(IReadOnlyList<Tag> All, IReadOnlyList<Tag> Items)> TagsAsync(ContentDetails details, CancellationToken cancellationToken);

    Task<string?> TagAsync(ContentDetails details, Tag tag, bool on, CancellationToken cancellationToken);

    Task<IReadOnlyList<SharedWith>> SharingAsync(ContentDetails details, CancellationToken cancellationToken);

    /// <summary>Users and groups whose name contains <paramref name="text"/> (at most 20).</summary>
    Task<IReadOnlyList<Principal>> FindPrincipalsAsync(ContentDetails details, string text, CancellationToken cancellationToken);

    Task<string?> ShareAsync(ContentDetails details, Principal principal, string role, CancellationToken cancellationToken);

    Task<string?> UnshareAsync(ContentDetails details, long permissionId, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> VariableNamesAsync(ContentDetails details, CancellationToken cancellationToken);

    /// <summary>Sets (or with a null value removes) one variable; its value is never read back.</summary>
    Task<string?> SetVariableAsync(ContentDetails details, string name, string? value, CancellationToken cancellationToken);

    Task<string?> CreateScheduleAsync(ContentDetails details, string? interval, string? cron, string? timeZone, CancellationToken cancellationToken);

    Task<string?> SetScheduleEnabledAsync(ContentDetails details, long id, bool enabled, CancellationToken cancellationToken);

    Task<string?> RunScheduleNowAsync(ContentDetails details, long id, CancellationToken cancellationToken);

    Task<string?> DeleteScheduleAsync(ContentDetails details, long id, CancellationToken cancellationToken);

    /// <summary>
    /// Makes one of the item's bundles live again (a rollback): a running node is asked to deploy it, as rsconnect's
    /// deploy would, and the deploy shows under the item's deploys.
    /// </summary>
    Task<string?> ActivateBundleAsync(ContentDetails details, Caller caller, Bundle bundle, CancellationToken cancellationToken);

    /// <summary>The item's log files (workers' output on every node, renders), newest first.</summary>
    Task<IReadOnlyList<LogFile>> LogFilesAsync(ContentDetails details, CancellationToken cancellationToken);

    /// <summary>The end of one of them.</summary>
    Task<string> ReadLogAsync(ContentDetails details, string name, CancellationToken cancellationToken);
}

internal sealed class ContentDesk(
    ConnectOptions options,
    ContentRepository contents,
    ContentSharing sharing,
    ContentEnvironment environment,
    ScheduleBook schedules,
    UserRepository users,
    GroupRepository groups,
    VanityRepository vanities,
    TagRepository tags,
    Connect.Shared.Cluster.NodeRegistry nodes,
    Connect.Shared.Cluster.NodeCommandRepository commands,
    DirectoryAccounts directory) : IContentDesk
{
    public const string Refused = "only the item's owner, a collaborator or an administrator may change it";

    public async Task<string?> UpdateInfoAsync(ContentDetails details, string? title, string? description, CancellationToken cancellationToken)
    {
        if (!details.MayChange)
        {
            return Refused;
        }

        if (ContentInfo.Problems(title, description) is { Count: > 0 } problems)
        {
            return string.Join("; ", problems);
        }

        // Blank keeps what is there: the item then shows its name, as before it had a title.
        await contents.UpdateAsync(details.Item.Id, Blank(title), Blank(description), cancellationToken);
        return null;
    }

    public async Task<string?> SetAccessTypeAsync(ContentDetails details, string accessType, CancellationToken cancellationToken)
    {
        if (!details.MayChange)
        {
            return Refused;
        }

        if (!AccessTypes.Known.Contains(accessType))
        {
            return $"access must be one of {string.Join(", ", AccessTypes.Known)}";
        }

        await contents.SetAccessTypeAsync(details.Item.Id, accessType, cancellationToken);
        return null;
    }

    public async Task<string?> VanityAsync(ContentDetails details, CancellationToken cancellationToken) =>
        (await vanities.GetAsync(details.Item.Id, cancellationToken))?.Path;

    public async Task<string?> SetVanityAsync(ContentDetails details, Caller caller, string? path, CancellationToken cancellationToken)
    {
        if (!caller.IsAdministrator)
        {
            return "only an administrator may give an item a vanity path";
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            await vanities.DeleteAsync(details.Item.Id, cancellationToken);
            return null;
        }

        var result = await vanities.SetAsync(details.Item.Id, path.Trim(), force: false, cancellationToken);
        return result.Invalid ?? result.Conflict;
    }

    public async Task<(IReadOnlyList<Tag> All, IReadOnlyList<Tag> Items)> TagsAsync(ContentDetails details, CancellationToken cancellationToken) =>
        (await tags.ListAsync(cancellationToken), await tags.OfContentAsync(details.Item.Id, cancellationToken));

    public async Task<string?> TagAsync(ContentDetails details, Tag tag, bool on, CancellationToken cancellationToken)
    {
        if (!details.MayChange)
        {
            return Refused;
        }

        var changed = on
            ? await tags.AddToContentAsync(details.Item.Id, tag.Id, cancellationToken)
            : await tags.RemoveFromContentAsync(details.Item.Id, tag.Id, cancellationToken);
        return changed ? null : on ? $"it has the tag {tag.Name} already" : $"it does not have the tag {tag.Name}";
    }

    public async Task<IReadOnlyList<SharedWith>> SharingAsync(ContentDetails details, CancellationToken cancellationToken)
    {
        if (!details.MayChange)
        {
            return [];
        }

        var names = (await users.ListAsync(cancellationToken)).ToDictionary(u => (PrincipalTypes.User, u.Id), u => u.Username);
        foreach (var group in await groups.ListAsync(cancellationToken))
        {
            names[(PrincipalTypes.Group, group.Id)] = group.Name;
        }

        return (await sharing.ListAsync(details.Item, cancellationToken))
            .Select(p => new SharedWith(p, names.GetValueOrDefault((p.PrincipalType, p.PrincipalId), p.PrincipalGuid)))
            .ToList();
    }

    public async Task<IReadOnlyList<Principal>> FindPrincipalsAsync(ContentDetails details, string text, CancellationToken cancellationToken)
    {
        if (!details.MayChange || string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var wanted = text.Trim();
        var found = (await users.ListAsync(cancellationToken))
            .Where(u => u.Id != details.Item.OwnerId && !u.Locked && u.Username.Contains(wanted, StringComparison.OrdinalIgnoreCase))
            .Select(u => new Principal(PrincipalTypes.User, u.Guid, u.Username, u.CanPublish))
            .Concat((await groups.ListAsync(cancellationToken))
                .Where(g => g.Name.Contains(wanted, StringComparison.OrdinalIgnoreCase))
                .Select(g => new Principal(PrincipalTypes.Group, g.Guid, g.Name, true)));
        var here = found.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).Take(20).ToList();
        return [.. here, .. await FromDirectoryAsync(details.Caller, wanted, cancellationToken)];
    }

    /// <summary>
    /// Colleagues and groups the directory has (by the start of their names) and this server does not yet, so an item
    /// can be shared with them before they sign in; none without a directory, or while it is away.
    /// </summary>
    private async Task<IReadOnlyList<Principal>> FromDirectoryAsync(Caller? caller, string prefix, CancellationToken cancellationToken)
    {
        if (!directory.Available || caller is not { CanPublish: true })
        {
            return [];
        }

        var people = (await directory.SearchPeopleAsync(caller, prefix, 10, cancellationToken)).Value ?? [];
        var teams = (await directory.SearchGroupsAsync(caller, prefix, 10, cancellationToken)).Value ?? [];
        return
        [
            .. people.Where(p => p.Here is null).Select(p => new Principal(PrincipalTypes.User, "", p.Person.Username, false, p.Ticket)),
            .. teams.Where(g => g.Here is null).Select(g => new Principal(PrincipalTypes.Group, "", g.Name, true, g.Ticket)),
        ];
    }

    public async Task<string?> ShareAsync(ContentDetails details, Principal principal, string role, CancellationToken cancellationToken)
    {
        if (!details.MayChange)
        {
            return Refused;
        }

        if (principal.Ticket is { } ticket && details.Caller is { } caller)
        {
            // From the directory: added here first (as PUT /v1/users or /v1/groups would), then shared with.
            var added = principal.Type == PrincipalTypes.User
                ? (await directory.AddUserAsync(caller, ticket, cancellationToken)) is { Value: { } user } ? user.Guid : null
                : (await directory.AddGroupAsync(caller, ticket, cancellationToken)) is { Value: { } group } ? group.Guid : null;
            if (added is null)
            {
                return $"{principal.Name} could not be added from the directory";
            }

            principal = principal with { Guid = added, Ticket = null };
        }

        return (await sharing.AddAsync(details.Item, principal.Type, principal.Guid, role, cancellationToken)).Problem;
    }

    public async Task<string?> UnshareAsync(ContentDetails details, long permissionId, CancellationToken cancellationToken) =>
        !details.MayChange ? Refused
        : await sharing.RemoveAsync(details.Item, permissionId, cancellationToken) ? null
        : "that entry is no longer on the list";

    public async Task<IReadOnlyList<string>> VariableNamesAsync(ContentDetails details, CancellationToken cancellationToken) =>
        details.MayChange ? await environment.NamesAsync(details.Item.Id, cancellationToken) : [];

    public async Task<string?> SetVariableAsync(ContentDetails details, string name, string? value, CancellationToken cancellationToken) =>
        !details.MayChange ? Refused
        : (await environment.ChangeAsync(details.Item.Id, new Dictionary<string, string?> { [name.Trim()] = value }, replace: false, cancellationToken)).Error;

    public async Task<string?> CreateScheduleAsync(ContentDetails details, string? interval, string? cron, string? timeZone, CancellationToken cancellationToken) =>
        !details.MayChange ? Refused : (await schedules.CreateAsync(details.Item, interval, cron, timeZone, null, cancellationToken)).Problem;

    public async Task<string?> SetScheduleEnabledAsync(ContentDetails details, long id, bool enabled, CancellationToken cancellationToken) =>
        !details.MayChange ? Refused
        : await schedules.SetEnabledAsync(details.Item, id, enabled, cancellationToken) ? null
        : $"schedule {id} does not exist for this item";

    public async Task<string?> RunScheduleNowAsync(ContentDetails details, long id, CancellationToken cancellationToken) =>
        !details.MayChange ? Refused
        : await schedules.RunNowAsync(details.Item, id, cancellationToken) ? null
        : $"schedule {id} is paused or gone; resume it to run it";

    public async Task<string?> DeleteScheduleAsync(ContentDetails details, long id, CancellationToken cancellationToken) =>
        !details.MayChange ? Refused
        : await schedules.DeleteAsync(details.Item, id, cancellationToken) ? null
        : $"schedule {id} does not exist for this item";

    public async Task<string?> ActivateBundleAsync(ContentDetails details, Caller caller, Bundle bundle, CancellationToken cancellationToken)
    {
        if (!details.MayChange)
        {
            return Refused;
        }

        if (bundle.ContentId != details.Item.Id)
        {
            return $"bundle {bundle.Id} is not this item's";
        }

        var running = (await nodes.ListAsync(cancellationToken)).Where(n => n.Status == Connect.Shared.Cluster.NodeStatus.Running).ToList();
        if (running.Count == 0)
        {
            return "no node is running to deploy it; start one and try again";
        }

        var node = running[Random.Shared.Next(running.Count)];
        await commands.RequestAsync(node.Name, Connect.Shared.Cluster.NodeCommandRepository.DeployBundle,
            new Connect.Shared.Cluster.DeployTarget(details.Item.Id, bundle.Id, caller.Id).ToString(), caller.Username, cancellationToken);
        return null;
    }

    public Task<IReadOnlyList<LogFile>> LogFilesAsync(ContentDetails details, CancellationToken cancellationToken)
    {
        var folder = DataLayout.ContentLogs(options.DataDir, details.Item.Guid);
        if (!details.MayChange || !Directory.Exists(folder))
        {
            return Task.FromResult<IReadOnlyList<LogFile>>([]);
        }

        IReadOnlyList<LogFile> files = new DirectoryInfo(folder).EnumerateFiles("*.log")
            .Where(f => !f.Attributes.HasFlag(FileAttributes.ReparsePoint))
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .Take(200)
            .Select(f => new LogFile(f.Name, f.Length, new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)))
            .ToList();
        return Task.FromResult(files);
    }

    public async Task<string> ReadLogAsync(ContentDetails details, string name, CancellationToken cancellationToken)
    {
        var folder = DataLayout.ContentLogs(options.DataDir, details.Item.Guid);
        // The name comes from the page; it must be a plain file of this item's logs folder, reached without a link.
        if (!details.MayChange || name != Path.GetFileName(name) || !name.EndsWith(".log", StringComparison.Ordinal)
            || RealPath.ResolveInside(Path.Combine(folder, name), folder) is not { } path)
        {
            return "There is no such log.";
        }

        return await LogTail.ReadAsync(path, cancellationToken);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
