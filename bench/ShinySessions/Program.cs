// Opens N Shiny sessions over WebSockets and keeps them all open, then gives every session one input change
// and times its answer ("n is i"): how many open sessions a node holds while each still answers within 1 s.
// Usage: dotnet ShinySessions.dll ws://host:port/content/{guid}/websocket/ [sessions] [opened-at-once]
using System.Diagnostics;
using System.Net.WebSockets;

var url = new Uri(args[0]);
var count = args.Length > 1 ? int.Parse(args[1]) : 2000;
var atOnce = args.Length > 2 ? int.Parse(args[2]) : 50;

var sessions = new List<ClientWebSocket>(count);
var failedToOpen = 0;
var opening = Stopwatch.StartNew();
for (var start = 0; start < count; start += atOnce)
{
    var batch = Enumerable.Range(start, Math.Min(atOnce, count - start)).Select(async _ =>
    {
        var socket = new ClientWebSocket();
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await socket.ConnectAsync(url, deadline.Token);
            await ShinySocket.SendAsync(socket, "{\"method\":\"init\",\"data\":{\"n\":0,\".clientdata_output_out_hidden\":false}}");
            await ShinySocket.ReceiveUntilAsync(socket, "n is 0\"", deadline.Token);
            return socket;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or InvalidOperationException)
        {
            socket.Dispose();
            return null;
        }
    });
    foreach (var socket in await Task.WhenAll(batch))
    {
        if (socket is null)
        {
            failedToOpen++;
        }
        else
        {
            sessions.Add(socket);
        }
    }
}

Console.WriteLine($"opened {sessions.Count} of {count} sessions in {opening.Elapsed.TotalSeconds:0.0} s ({failedToOpen} failed)");

// Every session, one after another, with all the others still open.
var times = new List<double>(sessions.Count);
var late = 0;
var lost = 0;
for (var i = 0; i < sessions.Count; i++)
{
    var watch = Stopwatch.StartNew();
    try
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ShinySocket.SendAsync(sessions[i], $"{{\"method\":\"update\",\"data\":{{\"n\":{i + 1}}}}}");
        await ShinySocket.ReceiveUntilAsync(sessions[i], $"n is {i + 1}\"", deadline.Token);
        times.Add(watch.Elapsed.TotalMilliseconds);
        late += watch.Elapsed > TimeSpan.FromSeconds(1) ? 1 : 0;
    }
    catch (Exception e) when (e is WebSocketException or OperationCanceledException or InvalidOperationException)
    {
        lost++;
    }
}

times.Sort();
Console.WriteLine(times.Count == 0
    ? "no session answered"
    : $"{times.Count} answered (p50 {times[times.Count / 2]:0.0} ms, p99 {times[Math.Max(0, (int)(times.Count * 0.99) - 1)]:0.0} ms, max {times[^1]:0.0} ms); "
      + $"{late} later than 1 s; {lost} lost");
foreach (var socket in sessions)
{
    socket.Abort();
}
