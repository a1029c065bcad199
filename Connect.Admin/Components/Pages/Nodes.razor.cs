using System.Globalization;
using Connect.Admin.Services;
using Connect.Shared.Cluster;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Connect.Admin.Components.Pages;

/// <summary>The nodes table, refreshed every <see cref="RefreshInterval"/> while the page is open.</summary>
public sealed partial class Nodes : ComponentBase, IDisposable
{
    internal static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stop = new();
    private ClusterSnapshot? _snapshot;

    [Inject]
    public required IClusterSource Cluster { get; set; }

    [Inject]
    public required TimeProvider Clock { get; set; }

    [Inject]
    public required Connect.Shared.Configuration.ConnectOptions Options { get; set; }

    private bool IsSkewed(NodeInfo node) => node.Status != NodeStatus.Stopped && node.ClockOffset.Duration() > Options.Node.MaxClockSkew;

    protected override async Task OnInitializedAsync()
    {
        _snapshot = await Cluster.GetAsync(_stop.Token);
        _ = RefreshLoopAsync();
    }

    private async Task RefreshLoopAsync()
    {
        try
        {
            using var timer = new PeriodicTimer(RefreshInterval, Clock);
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var snapshot = await Cluster.GetAsync(_stop.Token);
                await InvokeAsync(() =>
                {
                    _snapshot = snapshot;
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The page was closed.
        }
    }

    private static Color StatusColor(NodeStatus status) => status switch
    {
        NodeStatus.Running => Color.Success,
        NodeStatus.Missing => Color.Error,
        _ => Color.Default,
    };

    internal static string FormatAge(TimeSpan age) =>
        age < TimeSpan.FromMinutes(1) ? $"{age.TotalSeconds:0}s"
        : age < TimeSpan.FromHours(1) ? $"{age.TotalMinutes:0}m"
        : $"{age.TotalHours:0}h";

    internal static string FormatOffset(TimeSpan offset) =>
        (offset >= TimeSpan.Zero ? "+" : "") + offset.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
