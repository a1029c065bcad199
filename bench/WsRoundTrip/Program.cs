// Measures the round trip of a Shiny input change to its output over one WebSocket:
// send {"method":"update","data":{"n":i}} and wait for the message carrying "n is i".
// Usage: dotnet run --project bench/WsRoundTrip -c Release -- ws://host:port/path/websocket/ [count]
using System.Diagnostics;
using System.Net.WebSockets;

var url = new Uri(args[0]);
var count = args.Length > 1 ? int.Parse(args[1]) : 500;
using var socket = new ClientWebSocket();
await socket.ConnectAsync(url, CancellationToken.None);
// Shiny computes only outputs the client reports as visible.
await ShinySocket.SendAsync(socket, "{\"method\":\"init\",\"data\":{\"n\":0,\".clientdata_output_out_hidden\":false}}");
await ShinySocket.ReceiveUntilAsync(socket, "n is 0");

var times = new List<double>(count);
for (var i = 1; i <= count; i++)
{
    var watch = Stopwatch.StartNew();
    await ShinySocket.SendAsync(socket, $"{{\"method\":\"update\",\"data\":{{\"n\":{i}}}}}");
    await ShinySocket.ReceiveUntilAsync(socket, $"n is {i}\"");
    times.Add(watch.Elapsed.TotalMilliseconds);
}

times.Sort();
Console.WriteLine($"{count} round trips: mean {times.Average():0.00} ms, p50 {times[count / 2]:0.00} ms, p99 {times[(int)(count * 0.99) - 1]:0.00} ms");
// Shiny does not answer a close handshake; just drop the connection.
socket.Abort();
