// Measures the round trip of a Shiny input change to its output over one WebSocket:
// send {"method":"update","data":{"n":i}} and wait for the message carrying "n is i".
// Usage: dotnet run --project bench/WsRoundTrip -c Release -- ws://host:port/path/websocket/ [count]
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;

var url = new Uri(args[0]);
var count = args.Length > 1 ? int.Parse(args[1]) : 500;
using var socket = new ClientWebSocket();
await socket.ConnectAsync(url, CancellationToken.None);
// Shiny computes only outputs the client reports as visible.
await SendAsync("{\"method\":\"init\",\"data\":{\"n\":0,\".clientdata_output_out_hidden\":false}}");
await ReceiveUntilAsync("n is 0");

var times = new List<double>(count);
for (var i = 1; i <= count; i++)
{
    var watch = Stopwatch.StartNew();
    await SendAsync($"{{\"method\":\"update\",\"data\":{{\"n\":{i}}}}}");
    await ReceiveUntilAsync($"n is {i}\"");
    times.Add(watch.Elapsed.TotalMilliseconds);
}

times.Sort();
Console.WriteLine($"{count} round trips: mean {times.Average():0.00} ms, p50 {times[count / 2]:0.00} ms, p99 {times[(int)(count * 0.99) - 1]:0.00} ms");
// Shiny does not answer a close handshake; just drop the connection.
socket.Abort();

Task SendAsync(string text) =>
    socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

async Task ReceiveUntilAsync(string marker)
{
    var buffer = new byte[65536];
    while (true)
    {
        var message = new StringBuilder();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            message.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }
        while (!result.EndOfMessage);

        if (result.MessageType == WebSocketMessageType.Close)
        {
            throw new InvalidOperationException("the server closed the socket");
        }

        if (message.ToString().Contains(marker, StringComparison.Ordinal))
        {
            return;
        }
    }
}
