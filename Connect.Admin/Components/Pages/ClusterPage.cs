using Connect.Admin.Services;
using Connect.Shared.Access;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

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

    /// <summary>Who is signed in (the router cascades it; every page but sign-in needs one).</summary>
    [CascadingParameter]
    public Task<AuthenticationState>? Authentication { get; set; }

    /// <summary>The signed-in caller, or null (a page then shows nothing of the server).</summary>
    protected async Task<Caller?> CallerAsync() => Authentication is null ? null : Caller.TryFrom((await Authentication).User);

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
