using System.Net;
using System.Net.WebSockets;
using System.Text;
using Connect.Testing;

namespace Connect.E2E.Runtime;

/// <summary>The node's own connections to a worker: kept alive and reused, and acknowledged at once.</summary>
public sealed class WorkerConnectionTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-worker-connections");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Requests_one_after_another_reuse_one_kept_alive_connection_to_the_worker()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        // Plumber tells which of its client's ports a request came over: the node's side of the connection.
        var guid = await node.DeployAsync("port", TestBundles.PlumberApi("#* @get /port\n#* @serializer text\nfunction(req) req$REMOTE_PORT\n"));

        var ports = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            // A new client connection each time: reuse is the node's doing, not the viewer's.
            using var viewer = new HttpClient { BaseAddress = node.BaseUrl };
            var response = await viewer.GetAsync($"content/{guid}/port");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ports.Add((await response.Content.ReadAsStringAsync()).Trim());
        }

        Assert.Single(ports.Distinct());
    }

    private const string QuitApp = """
        library(shiny)
        ui <- fluidPage(numericInput("n", "n", 1), textOutput("out"))
        server <- function(input, output, session) {
          output$out <- renderText(paste("n is", input$n))
          observeEvent(input$n, if (input$n == 99) session$close())
        }
        shinyApp(ui, server)
        """;

    [Fact]
    public async Task A_websocket_through_the_node_closes_cleanly_when_the_viewer_closes_it_and_when_the_app_does()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("quit", TestBundles.ShinyApp(QuitApp));

        // The viewer says goodbye: the close handshake completes through the node, with the viewer's status.
        using (var viewer = await OpenSessionAsync(node, guid))
        {
            await viewer.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(WebSocketState.Closed, viewer.State);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, viewer.CloseStatus);
        }

        // The worker no longer counts the connection: nothing of it stays open on the node's side.
        await Wait.UntilAsync(async () => (await node.WorkersOfAsync(guid)).All(w => w.GetProperty("connections").GetInt32() == 0),
            "the worker to see its connection closed");

        // The app ends the session: the viewer gets the app's close frame, not a cut connection.
        using var ended = await OpenSessionAsync(node, guid);
        await SendAsync(ended, """{"method":"update","data":{"n":99}}""");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        WebSocketReceiveResult received;
        do
        {
            received = await ended.ReceiveAsync(new byte[65536], deadline.Token);
        }
        while (received.MessageType != WebSocketMessageType.Close);

        Assert.NotNull(received.CloseStatus);
        await ended.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, deadline.Token);
        Assert.Equal(WebSocketState.Closed, ended.State);
    }

    /// <summary>Opens a Shiny session through the node and waits for the app's first answer.</summary>
    private static async Task<ClientWebSocket> OpenSessionAsync(NodeProcess node, string guid)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{node.Port}/content/{guid}/websocket/"), CancellationToken.None);
        await SendAsync(socket, """{"method":"init","data":{"n":1,".clientdata_output_out_hidden":false}}""");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = "";
        while (!text.Contains("n is 1", StringComparison.Ordinal))
        {
            var buffer = new byte[65536];
            var received = await socket.ReceiveAsync(buffer, deadline.Token);
            text += Encoding.UTF8.GetString(buffer, 0, received.Count);
        }

        return socket;
    }

    private static Task SendAsync(ClientWebSocket socket, string message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message), WebSocketMessageType.Text, true, CancellationToken.None);
}
