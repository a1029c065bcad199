using Connect.Admin.Services;
using Microsoft.AspNetCore.Components;

namespace Connect.Admin.Components.Pages;

/// <summary>
/// A page that shows the cluster: it takes the monitor's latest snapshot and re-renders on each new one,
/// which Blazor pushes to the browser over the page's SignalR circuit.
/// </summary>
public abstract class ClusterPage : ComponentBase, IDisposable
{
    [Inject]
    public required IClusterFeed Feed { get; set; }

    protected ClusterSnapshot? Snapshot { get; private set; }

    protected override void OnInitialized()
    {
        Snapshot = Feed.Current;
        Feed.Changed += OnChanged;
    }

    private void OnChanged(ClusterSnapshot snapshot) => _ = InvokeAsync(() =>
    {
        Snapshot = snapshot;
        StateHasChanged();
    });

    public void Dispose()
    {
        Feed.Changed -= OnChanged;
        GC.SuppressFinalize(this);
    }
}
