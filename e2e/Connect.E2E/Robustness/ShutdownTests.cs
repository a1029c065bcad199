using System.Net;
using System.Net.WebSockets;
using Connect.Testing;

namespace Connect.E2E.Robustness;

/// <summary>SIGTERM with a Shiny session open: drain, stop the workers, exit 0.</summary>
public sealed class ShutdownTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-shutdown");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Sigterm_with_an_open_websocket_drains_then_closes_the_session_stops_the_workers_and_exits_0()
    {
        await using var node = NodeProcess.Start(_folder, "node", "[Node]\nDrainPeriod = 2s\n");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("echo", TestBundles.ShinyApp(TestBundles.EchoApp));
        using var session = new ClientWebSocket();
        await session.ConnectAsync(new Uri($"ws://127.0.0.1:{node.Port}/content/{guid}/websocket/"), CancellationToken.None);
        var worker = Assert.Single(await node.WorkersOfAsync(guid)).GetProperty("pid").GetInt32();
        var ended = session.ReceiveAsync(new byte[4096], CancellationToken.None);

        node.Terminate();

        // Still listening while draining: a load balancer's health check sees 503, not a refused connection.
        await Wait.UntilAsync(async () => (await node.Http.GetAsync("__ping__")).StatusCode == HttpStatusCode.ServiceUnavailable,
            "/__ping__ to answer 503 while the node drains");
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal((WebSocketCloseStatus)1012, await ClosedWithAsync(session, ended)); // "service restart": Shiny reconnects at once
        Assert.False(Directory.Exists($"/proc/{worker}"), "the worker outlived its node");
        Assert.Contains("Stopping: /__ping__ answers 503", node.Output);
        Assert.DoesNotContain("Exception", node.Output);
    }

    /// <summary>Reads until the server's close frame and gives its status; fails if the socket is cut or 10 s pass.</summary>
    private static async Task<WebSocketCloseStatus?> ClosedWithAsync(ClientWebSocket session, Task<WebSocketReceiveResult> pending)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await pending.WaitAsync(deadline.Token);
        while (received.MessageType != WebSocketMessageType.Close)
        {
            received = await session.ReceiveAsync(new byte[4096], deadline.Token);
        }

        return received.CloseStatus;
    }
}
