using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Scheduling;

namespace Connect.Admin.Tests;

/// <summary>Content as the pages read it, set by hand (what a caller may see is the real catalog's business); settings are checked with the real rule.</summary>
public sealed class FakeContentCatalog(SchedulerOptions scheduler) : IContentCatalog
{
    public List<ContentItem> Items { get; } = [];

    public Dictionary<string, ContentDetails> Details { get; } = [];

    public Dictionary<string, IReadOnlyList<string>> DeployLogs { get; } = [];

    public List<ProcessOverrides> Saved { get; } = [];

    /// <summary>Who the page asked for.</summary>
    public Caller? AskedBy { get; private set; }

    /// <summary>Vanity paths and tags of listed items, by GUID.</summary>
    public Dictionary<string, string> Vanity { get; } = [];

    public Dictionary<string, string[]> Tags { get; } = [];

    public Task<IReadOnlyList<ContentRow>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        AskedBy = caller;
        return Task.FromResult<IReadOnlyList<ContentRow>>(
            Items.Select(i => new ContentRow(i, Vanity.GetValueOrDefault(i.Guid), Tags.GetValueOrDefault(i.Guid) ?? [])).ToList());
    }

    public Task<ContentDetails?> GetAsync(string guid, Caller caller, CancellationToken cancellationToken)
    {
        AskedBy = caller;
        return Task.FromResult(Details.GetValueOrDefault(guid));
    }

    public Task<IReadOnlyList<string>> DeployLogAsync(ContentDetails details, string taskId, CancellationToken cancellationToken) =>
        Task.FromResult(DeployLogs.GetValueOrDefault(taskId) ?? []);

    public Task<string> RunLogAsync(ContentDetails details, JobRecord run, CancellationToken cancellationToken) => Task.FromResult($"log of run {run.Id}");

    public Task<string?> SetOverridesAsync(ContentDetails details, ProcessOverrides overrides, CancellationToken cancellationToken)
    {
        if (overrides.Problems(scheduler) is { } problem)
        {
            return Task.FromResult<string?>(problem);
        }

        Saved.Add(overrides);
        return Task.FromResult<string?>(null);
    }

    public static ContentItem Item(string guid, string name, string? appMode = AppModes.Shiny, long? bundle = 7) =>
        new(1, guid, name, null, null, 1, "pat", appMode, bundle, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
}
