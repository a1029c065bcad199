// A node's metrics store after a simulated year: the sampler's series (plus CPU and memory of each content item
// with workers) written with fake time, then the file measured. A year at full rate is millions of
// transactions, so the year is written at the rate each table keeps: a sample an hour until the last 30 days
// (the hour table keeps one row per series and hour however many samples fed it), a sample a minute for 30
// days (the minute table), then a sample every Metrics.Interval for the last two days (raw rows, pruned daily
// as in production). The rows, and so the file, are those of a year at full rate.
// Usage: dotnet run -c Release -- FOLDER [interval seconds = 5] [content items = 10]
using System.Diagnostics;
using Connect.Shared.Metrics;

var folder = args.Length > 0 ? args[0] : throw new ArgumentException("usage: MetricsYear FOLDER [interval-seconds] [content-items]");
var interval = TimeSpan.FromSeconds(args.Length > 1 ? double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5);
var contentItems = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10;
string[] nodeSeries =
[
    "host.cpu", "host.memory", "node.cpu", "node.memory", "workers", "connections", "websockets", "requests.rate", "requests.latency", "refusals.capacity",
];
var series = nodeSeries
    .Concat(Enumerable.Range(0, contentItems).SelectMany(i => new[] { $"content.{Guid.NewGuid()}.cpu", $"content.{Guid.NewGuid()}.memory" }))
    .ToArray();

Directory.CreateDirectory(folder);
File.Delete(Path.Combine(folder, "metrics.sqlite"));
var random = new Random(1);
var end = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);
var start = end - TimeSpan.FromDays(366);
var writes = 0L;
var clock = Stopwatch.StartNew();
using (var store = new MetricsStore(folder))
{
    void WriteUntil(ref DateTimeOffset t, DateTimeOffset until, TimeSpan step)
    {
        for (; t < until; t += step)
        {
            store.Write(t, series.Select(s => new Sample(s, random.NextDouble() * 1e9)).ToList());
            writes++;
        }
    }

    var at = start;
    WriteUntil(ref at, end - TimeSpan.FromDays(31), TimeSpan.FromHours(1));
    WriteUntil(ref at, end - TimeSpan.FromDays(2), TimeSpan.FromMinutes(1));
    WriteUntil(ref at, end, interval);
    var (raw, minutes, hours) = store.RowCounts();
    Console.WriteLine($"series: {series.Length} ({nodeSeries.Length} of the node, {contentItems} content items x 2)");
    Console.WriteLine($"rows: raw {raw:N0}, minute {minutes:N0}, hour {hours:N0} ({writes:N0} writes in {clock.Elapsed.TotalSeconds:0} s)");
}

var bytes = new FileInfo(Path.Combine(folder, "metrics.sqlite")).Length;
Console.WriteLine($"file after a year at {interval.TotalSeconds:0} s: {bytes / 1048576.0:0.0} MiB ({bytes / (double)series.Length / 1024:0} KiB per series)");
