using Connect.Admin.Services;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Metrics;
using Connect.Shared.Scheduling;
using Connect.Shared.Tasks;
using Microsoft.AspNetCore.Components;

namespace Connect.Admin.Components.Pages;

/// <summary>
/// One content item. A viewer sees what it is and where to open it; its owner, collaborators and administrators also see
/// where it runs, its runtime settings (editable within the configured limits), its deploys with
/// their logs, bundles, schedules and scheduled runs with their logs.
/// </summary>
public sealed partial class ContentDetail : ClusterPage
{
    private ContentDetails? _details;
    private Connect.Shared.Access.Caller? _caller;
    private bool _loaded;
    private string? _error;
    private (string Title, string Text)? _log;
    private string? _settingsMessage;
    private bool _settingsSaved;
    private int? _min;
    private int? _max;
    private int? _conns;
    private double? _load;
    private double? _idle;
    private double? _init;

    [Parameter]
    public required string Guid { get; set; }

    [Inject]
    public required IContentCatalog Catalog { get; set; }

    [Inject]
    public required IContentDesk Desk { get; set; }

    private string? _bundleMessage;
    private bool _bundleSaved;

    /// <summary>Rolls back (or forward) to <paramref name="bundle"/>: a node deploys it, and the deploy shows under Logs.</summary>
    private async Task ActivateAsync(Bundle bundle)
    {
        var problem = await CallerAsync() is { } caller
            ? await Desk.ActivateBundleAsync(_details!, caller, bundle, CancellationToken.None)
            : "you are not signed in";
        (_bundleSaved, _bundleMessage) = (problem is null,
            problem ?? $"Bundle {bundle.Id} is being deployed; it goes live when its deploy (under Logs) succeeds.");
    }

    [Inject]
    public required ConnectOptions Options { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        try
        {
            _caller = await CallerAsync();
            _details = _caller is { } caller ? await Catalog.GetAsync(Guid, caller, CancellationToken.None) : null;
            _loaded = true;
            if (_details?.Item.Overrides is { } o)
            {
                (_min, _max, _conns, _load) = (o.MinProcesses, o.MaxProcesses, o.MaxConnsPerProcess, o.LoadFactor);
                (_idle, _init) = (o.IdleTimeout?.TotalSeconds, o.InitTimeout?.TotalSeconds);
            }
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            _error = e.Message;
        }
    }

    /// <summary>The item's R processes on running nodes now, with their CPU and memory (live, from every node's report).</summary>
    public static IReadOnlyList<(string Node, WorkerLive Worker)> Running(ClusterSnapshot? snapshot, string guid)
    {
        if (snapshot is null)
        {
            return [];
        }

        return snapshot.RunningStatus
            .SelectMany(s => s.Live.Workers.Where(w => w.ContentGuid == guid).Select(w => (s.Node, w)))
            .OrderBy(x => x.Node, StringComparer.Ordinal).ThenBy(x => x.w.StartedAt)
            .ToList();
    }

    /// <summary>The item's workers that ended unasked (crashed, or failed to start) on running nodes, newest first.</summary>
    public static IReadOnlyList<(string Node, Connect.Shared.Metrics.WorkerExit Exit)> Exits(ClusterSnapshot? snapshot, string guid)
    {
        if (snapshot is null)
        {
            return [];
        }

        return snapshot.RunningStatus
            .SelectMany(s => (s.Live.RecentExits ?? []).Where(e => e.ContentGuid == guid).Select(e => (s.Node, e)))
            .OrderByDescending(x => x.e.StartedAt)
            .ToList();
    }

    /// <summary>Reads the item again after a panel changed it.</summary>
    private async Task ReloadAsync()
    {
        if (await CallerAsync() is { } caller)
        {
            _details = await Catalog.GetAsync(Guid, caller, CancellationToken.None);
        }
    }

    /// <summary>Whether the item runs as R workers (and so has runtime settings): static and rendered content does not.</summary>
    public static bool HasWorkers(ContentItem item) => item.AppMode is AppModes.Shiny or AppModes.RmdShiny or AppModes.Api;

    public static string DeployResult(TaskSummary task) =>
        !task.Finished ? "running"
        : task.Code == 0 ? "succeeded"
        : $"failed{(task.Error is null ? "" : ": " + task.Error)}";

    private async Task SaveAsync()
    {
        // Only the fields this form shows change: a memory limit set through the API is kept.
        var overrides = (_details!.Item.Overrides ?? new ProcessOverrides()) with
        {
            MinProcesses = _min,
            MaxProcesses = _max,
            MaxConnsPerProcess = _conns,
            LoadFactor = _load,
            IdleTimeout = _idle is { } idle ? TimeSpan.FromSeconds(idle) : null,
            InitTimeout = _init is { } init ? TimeSpan.FromSeconds(init) : null,
        };
        var problem = await Catalog.SetOverridesAsync(_details, overrides, CancellationToken.None);
        _settingsSaved = problem is null;
        _settingsMessage = problem ?? "Saved.";
        if (_settingsSaved)
        {
            _details = _details with { Item = _details.Item with { Overrides = overrides } };
        }
    }

    private async Task ShowDeployLogAsync(TaskSummary task)
    {
        var lines = await Catalog.DeployLogAsync(_details!, task.Id, CancellationToken.None);
        _log = ($"Deploy {task.Id} on {task.Node}", lines.Count == 0 ? "(no output)" : string.Join('\n', lines));
    }

    private async Task ShowRunLogAsync(JobRecord run) =>
        _log = ($"Run {run.Id} on {run.Node}", await Catalog.RunLogAsync(_details!, run, CancellationToken.None));
}
