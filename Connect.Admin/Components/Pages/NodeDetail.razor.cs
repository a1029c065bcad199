using System.Security.Claims;
using Connect.Admin.Services;
using Connect.Shared.Metrics;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace Connect.Admin.Components.Pages;

/// <summary>One node: its R workers (with a stop button), what it is deploying or rendering, and its charts.</summary>
public sealed partial class NodeDetail : ClusterPage
{
    private readonly HashSet<string> _stopping = [];
    private readonly LiveRows<WorkerLive, string> _workerRows = new(w => w.Id);
    private ChartRange _range = ChartRange.Hour;

    [Parameter]
    public required string Name { get; set; }

    [Inject]
    public required IWorkerControl Control { get; set; }

    [Inject]
    public required ISnackbar Snackbar { get; set; }

    [Inject]
    public required IContentCatalog Catalog { get; set; }

    /// <summary>Items' titles (else names) by GUID: a worker row names what it runs.</summary>
    private Dictionary<string, string> _names = [];

    protected override async Task OnInitializedAsync()
    {
        if (await CallerAsync() is { } caller)
        {
            _names = (await Catalog.ListAsync(caller, CancellationToken.None)).ToDictionary(r => r.Item.Guid, r => r.Item.Title ?? r.Item.Name);
        }
    }

    private string ContentName(string guid) => _names.GetValueOrDefault(guid) ?? guid;

    private static List<WorkerLive> Workers(NodeStatusRow? status) => status?.Live.Workers.OrderBy(w => w.ContentGuid).ToList() ?? [];

    private async Task StopAsync(WorkerLive worker)
    {
        _stopping.Add(worker.Id);
        var user = Authentication is null ? null : (await Authentication).User.FindFirstValue(ClaimTypes.Name);
        await Control.StopAsync(Name, worker.Id, user ?? "an administrator", CancellationToken.None);
        Snackbar.Add($"Node {Name} was asked to stop worker {worker.Id} (pid {worker.Pid})", Severity.Info);
    }
}
