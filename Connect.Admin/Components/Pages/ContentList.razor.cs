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
    private const string Any = "";

    private IReadOnlyList<ContentRow>? _rows;
    private string _type = Any;
    private string _access = Any;
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
            _rows = await Catalog.ListAsync(caller, CancellationToken.None);
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            _error = e.Message;
        }
    }

    /// <summary>The rows the search and filters let through, last deployed first.</summary>
    private IEnumerable<ContentRow> Shown() => (_rows ?? [])
        .Where(r => _type == Any || r.Item.AppMode == _type)
        .Where(r => _access == Any || r.Item.AccessType == _access)
        .Where(r => Matches(r, _search))
        .OrderByDescending(r => r.Item.LastDeployed);

    public static bool Matches(ContentRow row, string search) =>
        string.IsNullOrWhiteSpace(search)
        || new[] { row.Item.Name, row.Item.Title, row.Item.OwnerUsername, row.Item.Guid }.Concat(row.Tags)
            .Any(v => v?.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>The row's URL: its vanity path when it has one.</summary>
    private string RowUrl(ContentRow row) => row.VanityPath is { } vanity
        ? $"{Options.Server.Address?.TrimEnd('/')}{vanity}"
        : ContentUrl(Options, row.Item.Guid);

    public static string AccessText(string access) => access switch
    {
        AccessTypes.All => "anyone",
        AccessTypes.LoggedIn => "signed-in users",
        _ => "chosen people",
    };

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

        var counts = snapshot.RunningStatus
            .Select(s => (s.Node, Count: s.Live.Workers.Count(w => w.ContentGuid == guid)))
            .Where(c => c.Count > 0)
            .OrderBy(c => c.Node, StringComparer.Ordinal)
            .Select(c => $"{c.Node}: {c.Count}")
            .ToList();
        return counts.Count == 0 ? "none" : string.Join(", ", counts);
    }
}
