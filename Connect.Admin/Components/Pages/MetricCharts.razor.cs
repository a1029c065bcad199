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
        ("requests.latency", "Content request time (ms, average over requests)", 1),
    ];

    [Parameter]
    public required IReadOnlyList<NodeHistory> Histories { get; set; }

    [Parameter]
    public ChartRange Range { get; set; }

    /// <summary>
    /// The host each of <see cref="Histories"/> runs on (null: unknown, counted on its own): the host's own figures
    /// (<c>host.*</c>) of two nodes on one machine are that machine's, counted once.
    /// </summary>
    [Parameter]
    public IReadOnlyList<string?>? Hosts { get; set; }

    /// <summary>The node of each of <see cref="Histories"/>: given (and more than one), each node's line is drawn beside the whole's.</summary>
    [Parameter]
    public IReadOnlyList<string>? Names { get; set; }

    private bool ByNode => Names is { Count: > 1 } && Names.Count == Histories.Count;

    /// <summary>
    /// The series over <see cref="Range"/> for the whole of <see cref="Histories"/>: summed over the nodes, except the
    /// request time, which is the nodes' averages weighed by their requests (a quiet node's slow request does not count
    /// as much as a busy node's thousand).
    /// </summary>
    internal List<ChartPoint> Combined(string series) => series == "requests.latency" ? WeighedByRequests(series) : Summed(series);

    /// <summary>
    /// Each history (node) averaged per bucket, then summed over the histories bucket by bucket. Averaging first
    /// matters: a node's several samples in one bucket are one reading, not many.
    /// </summary>
    internal List<ChartPoint> Summed(string series) => ForSeries(series)
        .SelectMany(h => Bucketed(h, series))
        .GroupBy(p => p.At)
        .OrderBy(g => g.Key)
        .Select(g => new ChartPoint(g.Key, g.Sum(p => p.Value)))
        .ToList();

    /// <summary>The histories whose <paramref name="series"/> count: for a host's figures, one history per host.</summary>
    private IEnumerable<NodeHistory> ForSeries(string series) =>
        !series.StartsWith("host.", StringComparison.Ordinal) || Hosts is null
            ? Histories
            : Histories.Select((h, i) => (History: h, Host: (i < Hosts.Count ? Hosts[i] : null) ?? $"node #{i}"))
                .GroupBy(x => x.Host)
                .Select(g => g.First().History);

    private List<ChartPoint> WeighedByRequests(string series) => Histories
        .SelectMany(h =>
        {
            var rates = Bucketed(h, "requests.rate").ToDictionary(p => p.At, p => p.Value);
            return Bucketed(h, series).Select(p => (p.At, p.Value, Weight: rates.GetValueOrDefault(p.At)));
        })
        .GroupBy(p => p.At)
        .OrderBy(g => g.Key)
        .Select(g => new ChartPoint(g.Key, g.Sum(p => p.Weight) is > 0 and var total ? g.Sum(p => p.Value * p.Weight) / total : g.Average(p => p.Value)))
        .ToList();

    private IEnumerable<ChartPoint> Bucketed(NodeHistory history, string series) =>
        (history.Series.TryGetValue(series, out var ranges) && ranges.TryGetValue(Range, out var points) ? points : [])
            .GroupBy(p => Bucket(p.At))
            .Select(g => new ChartPoint(g.Key, g.Average(p => p.Value)));

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

    /// <summary>The whole's line, and with <see cref="Names"/> each node's beside it, on the whole's buckets.</summary>
    internal List<ChartSeries<double>> Series(string series, List<ChartPoint> points, double scale)
    {
        var all = new ChartSeries<double> { Name = ByNode ? "all nodes" : series, Data = points.Select(p => p.Value / scale).ToArray() };
        if (!ByNode)
        {
            return [all];
        }

        var lines = Histories.Select((history, i) =>
        {
            var values = Bucketed(history, series).ToDictionary(p => p.At, p => p.Value);
            return new ChartSeries<double> { Name = Names![i], Data = points.Select(p => values.GetValueOrDefault(p.At) / scale).ToArray() };
        });
        return [all, .. lines];
    }

    /// <summary>The axis fitted to the data (a few round ticks up to just above its largest value), no legend repeating the title.</summary>
    internal LineChartOptions Options(List<ChartPoint> points, double scale) => new()
    {
        // One line needs no legend (the title says it); nodes beside the whole do.
        ShowLegend = ByNode,
        YAxisTicks = Tick(points.Count == 0 ? 0 : points.Max(p => p.Value / scale)),
        MaxNumYAxisTicks = 6,
        YAxisRequireZeroPoint = true,
        YAxisToStringFunc = value => value.ToString("0.##"),
    };

    /// <summary>A round step (1, 2 or 5 times a power of ten) that cuts 0 to <paramref name="max"/> into about four; at least 1.</summary>
    internal static int Tick(double max)
    {
        var raw = max / 4;
        if (raw <= 1)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var scaled = raw / magnitude;
        return (int)((scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * magnitude);
    }

    private string[] Labels(List<ChartPoint> points) =>
        points.Select((p, i) => i % Math.Max(1, points.Count / 6) == 0 ? p.At.ToString(Range == ChartRange.Month ? "MM-dd" : "HH:mm") : "").ToArray();
}
