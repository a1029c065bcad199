using System.Globalization;
using Connect.Admin.Services;
using Connect.Shared.Cluster;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Connect.Admin.Components.Pages;

/// <summary>The cluster: every node with its health, the database and schema, and the checklist's warnings.</summary>
public sealed partial class Nodes : ClusterPage
{
    private readonly LiveRows<NodeInfo, string> _rows = new(n => n.Name);

    [Inject]
    public required Connect.Shared.Configuration.ConnectOptions Options { get; set; }

    private bool IsSkewed(NodeInfo node) => node.IsClockSkewed(Options.Node.MaxClockSkew);

    /// <summary>Running, heartbeat stale, stopped, or stopped because the database's schema is newer than it knows.</summary>
    internal static string StatusText(NodeInfo node, int databaseSchema) => node.Status switch
    {
        NodeStatus.Running => "Running",
        NodeStatus.Missing => "Heartbeat stale",
        _ when node.SchemaVersion < databaseSchema => "Stopped for schema",
        _ => "Stopped",
    };

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

    internal static string FormatBytes(long bytes) =>
        bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.0} GiB"
        : bytes >= 1L << 20 ? $"{bytes / (double)(1L << 20):0} MiB"
        : bytes >= 1L << 10 ? $"{bytes / 1024.0:0} KiB"
        : $"{bytes} B";
}
