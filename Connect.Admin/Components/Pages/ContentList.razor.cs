using Connect.Admin.Services;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Microsoft.AspNetCore.Components;

namespace Connect.Admin.Components.Pages;

/// <summary>
/// The content the signed-in user may see (everything, for an administrator), with where its R workers run right now
/// for administrators (from the live cluster feed).
/// </summary>
public sealed partial class ContentList : ClusterPage
{
    private IReadOnlyList<ContentItem>? _items;
    private string? _error;
    private string _search = "";
    private bool _administrator;

    [Inject]
    public required IContentCatalog Catalog { get; set; }

    [Inject]
    public required ConnectOptions Options { get; set; }

    protected override async Task OnInitializedAsync()
    {
        try
        {
            if (await CallerAsync() is not { } caller)
            {
                _error = "you are not signed in";
                return;
            }

            _administrator = caller.IsAdministrator;
            _items = await Catalog.ListAsync(caller, CancellationToken.None);
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            _error = e.Message;
        }
    }

    private bool Matches(ContentItem item) =>
        string.IsNullOrWhiteSpace(_search)
        || new[] { item.Name, item.Title, item.OwnerUsername, item.Guid }.Any(v => v?.Contains(_search.Trim(), StringComparison.OrdinalIgnoreCase) == true);

    private string ContentUrl(ContentItem item) => ContentUrl(Options, item.Guid);

    /// <summary>The item's URL through <c>Server.Address</c> when the cluster has one, else the path every node serves.</summary>
    public static string ContentUrl(ConnectOptions options, string guid) =>
        $"{options.Server.Address?.TrimEnd('/')}/content/{guid}/";

    public static string TypeText(string? appMode) => AppModes.Label(appMode);

    /// <summary>Workers of one item per running node, as "node-a: 2, node-b: 1" ("none" when it has none).</summary>
    public static string WorkersText(ClusterSnapshot? snapshot, string guid)
    {
        if (snapshot is null)
        {
            return "";
        }

        var running = snapshot.Nodes.Where(n => n.Status == NodeStatus.Running).Select(n => n.Name).ToHashSet();
        var counts = snapshot.Status
            .Where(s => running.Contains(s.Node))
            .Select(s => (s.Node, Count: s.Live.Workers.Count(w => w.ContentGuid == guid)))
            .Where(c => c.Count > 0)
            .OrderBy(c => c.Node, StringComparer.Ordinal)
            .Select(c => $"{c.Node}: {c.Count}")
            .ToList();
        return counts.Count == 0 ? "none" : string.Join(", ", counts);
    }
}
