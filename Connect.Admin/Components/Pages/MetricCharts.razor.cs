using Connect.Shared.Metrics;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Connect.Admin.Components.Pages;

public sealed partial class MetricCharts : ComponentBase
{
    /// <summary>The series charted, their titles, and the divisor that puts them in the title's unit.</summary>
    internal static readonly (string Series, string Title, double Scale)[] Charts =
    [
        ("host.cpu", "Host CPU (%)", 1),
        ("host.memory", "Host memory in use (MiB)", 1 << 20),
        ("node.cpu", "Node process CPU (% of a core)", 1),
        ("node.memory", "Node process memory (MiB)", 1 << 20),
        ("workers", "R workers", 1),
        ("connections", "Connections to workers", 1),
        ("websockets", "Open WebSockets", 1),
        ("requests.rate", "Content requests per second", 1),
        ("requests.latency", "Content request time (ms, average)", 1),
    ];

    [Parameter]
    public required IReadOnlyList<NodeHistory> Histories { get; set; }

    [Parameter]
    public ChartRange Range { get; set; }

    /// <summary>
    /// The series over <see cref="Range"/>: each history (node) averaged per bucket, then summed over the histories
    /// bucket by bucket. Averaging first matters: a node's several samples in one bucket are one reading, not many.
    /// </summary>
    internal List<ChartPoint> Summed(string series) => Histories
        .SelectMany(h => (h.Series.TryGetValue(series, out var ranges) && ranges.TryGetValue(Range, out var points) ? points : [])
            .GroupBy(p => Bucket(p.At))
            .Select(g => new ChartPoint(g.Key, g.Average(p => p.Value))))
        .GroupBy(p => p.At)
        .OrderBy(g => g.Key)
        .Select(g => new ChartPoint(g.Key, g.Sum(p => p.Value)))
        .ToList();

    /// <summary>Nodes sample at their own moments: points are aligned to the range's resolution before summing.</summary>
    private DateTimeOffset Bucket(DateTimeOffset at)
    {
        var size = Range switch
        {
            ChartRange.Hour => TimeSpan.FromSeconds(30),
            ChartRange.Day => TimeSpan.FromMinutes(15),
            _ => TimeSpan.FromHours(6),
        };
        return new DateTimeOffset(at.UtcTicks - at.UtcTicks % size.Ticks, TimeSpan.Zero);
    }

    private static List<ChartSeries<double>> Series(string title, List<ChartPoint> points, double scale) =>
        [new() { Name = title, Data = points.Select(p => p.Value / scale).ToArray() }];

    private string[] Labels(List<ChartPoint> points) =>
        points.Select((p, i) => i % Math.Max(1, points.Count / 6) == 0 ? p.At.ToString(Range == ChartRange.Month ? "MM-dd" : "HH:mm") : "").ToArray();
}
