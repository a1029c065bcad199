using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Content;
using Connect.Shared.Scheduling;

namespace Connect.Admin.Tests;

/// <summary>An item's panels in memory: records every change; refuses like the real desk when the caller may not change the item.</summary>
public sealed class FakeContentDesk : IContentDesk
{
    public List<string> Changes { get; } = [];

    public List<SharedWith> Shared { get; } = [];

    public List<Principal> Principals { get; } = [];

    public SortedSet<string> Variables { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Logs { get; } = [];

    private string? Did(ContentDetails details, string change)
    {
        if (!details.MayChange)
        {
            return ContentDesk.Refused;
        }

        Changes.Add(change);
        return null;
    }

    public Task<string?> UpdateInfoAsync(ContentDetails details, string? title, string? description, CancellationToken cancellationToken) =>
        Task.FromResult(ContentInfo.Problems(title, description) is { Count: > 0 } problems ? string.Join("; ", problems) : Did(details, $"info {title}|{description}"));

    public Task<string?> SetAccessTypeAsync(ContentDetails details, string accessType, CancellationToken cancellationToken) =>
        Task.FromResult(Did(details, $"access {accessType}"));

    public Task<IReadOnlyList<SharedWith>> SharingAsync(ContentDetails details, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SharedWith>>(details.MayChange ? Shared.ToList() : []);

    public Task<IReadOnlyList<Principal>> FindPrincipalsAsync(ContentDetails details, string text, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Principal>>(Principals.Where(p => p.Name.Contains(text, StringComparison.OrdinalIgnoreCase)).ToList());

    public Task<string?> ShareAsync(ContentDetails details, Principal principal, string role, CancellationToken cancellationToken)
    {
        if (role == ContentRoles.Owner && !principal.CanPublish)
        {
            return Task.FromResult<string?>(Connect.Shared.Access.ContentSharing.OwnerMustPublish);
        }

        var problem = Did(details, $"share {principal.Name} {role}");
        if (problem is null)
        {
            Shared.Add(new SharedWith(new ContentPermission(Shared.Count + 1, details.Item.Id, principal.Type, 1, principal.Guid, role), principal.Name));
        }

        return Task.FromResult(problem);
    }

    public Task<string?> UnshareAsync(ContentDetails details, long permissionId, CancellationToken cancellationToken)
    {
        Shared.RemoveAll(s => s.Permission.Id == permissionId);
        return Task.FromResult(Did(details, $"unshare {permissionId}"));
    }

    public Task<IReadOnlyList<string>> VariableNamesAsync(ContentDetails details, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(Variables.ToList());

    public Task<string?> SetVariableAsync(ContentDetails details, string name, string? value, CancellationToken cancellationToken)
    {
        var problem = Did(details, value is null ? $"unset {name}" : $"set {name}");
        if (problem is null && value is null)
        {
            Variables.Remove(name);
        }
        else if (problem is null)
        {
            Variables.Add(name);
        }

        return Task.FromResult(problem);
    }

    public Task<string?> CreateScheduleAsync(ContentDetails details, string? interval, string? cron, string? timeZone, CancellationToken cancellationToken) =>
        Task.FromResult(interval is null && cron is null ? ScheduleBook.Usage : Did(details, $"schedule {interval ?? cron}"));

    public Task<string?> SetScheduleEnabledAsync(ContentDetails details, long id, bool enabled, CancellationToken cancellationToken) =>
        Task.FromResult(Did(details, $"{(enabled ? "resume" : "pause")} {id}"));

    public Task<string?> RunScheduleNowAsync(ContentDetails details, long id, CancellationToken cancellationToken) => Task.FromResult(Did(details, $"run {id}"));

    public Task<string?> DeleteScheduleAsync(ContentDetails details, long id, CancellationToken cancellationToken) => Task.FromResult(Did(details, $"delete {id}"));

    public string? Vanity { get; set; }

    public List<Tag> AllTags { get; } = [];

    public List<Tag> ItemTags { get; } = [];

    public Task<string?> VanityAsync(ContentDetails details, CancellationToken cancellationToken) => Task.FromResult(Vanity);

    public Task<string?> SetVanityAsync(ContentDetails details, Caller caller, string? path, CancellationToken cancellationToken)
    {
        if (!caller.IsAdministrator)
        {
            return Task.FromResult<string?>("only an administrator may give an item a vanity path");
        }

        Vanity = string.IsNullOrWhiteSpace(path) ? null : path;
        return Task.FromResult(Did(details, $"vanity {path}"));
    }

    public Task<(IReadOnlyList<Tag> All, IReadOnlyList<Tag> Items)> TagsAsync(ContentDetails details, CancellationToken cancellationToken) =>
        Task.FromResult<(IReadOnlyList<Tag>, IReadOnlyList<Tag>)>((AllTags.ToList(), ItemTags.ToList()));

    public Task<string?> TagAsync(ContentDetails details, Tag tag, bool on, CancellationToken cancellationToken)
    {
        var problem = Did(details, $"{(on ? "tag" : "untag")} {tag.Name}");
        if (problem is null && on)
        {
            ItemTags.Add(tag);
        }
        else if (problem is null)
        {
            ItemTags.RemoveAll(t => t.Id == tag.Id);
        }

        return Task.FromResult(problem);
    }

    public Task<string?> ActivateBundleAsync(ContentDetails details, Caller caller, Bundle bundle, CancellationToken cancellationToken) =>
        Task.FromResult(Did(details, $"activate {bundle.Id}"));

    public Task<IReadOnlyList<LogFile>> LogFilesAsync(ContentDetails details, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<LogFile>>(Logs.Keys.Select(k => new LogFile(k, Logs[k].Length, DateTimeOffset.UnixEpoch)).ToList());

    public Task<string> ReadLogAsync(ContentDetails details, string name, CancellationToken cancellationToken) =>
        Task.FromResult(Logs.GetValueOrDefault(name) ?? "There is no such log.");
}
