using System.Net;
using System.Net.WebSockets;
using System.Text;
using Connect.E2E.Infrastructure;
using Connect.Shared.Configuration;
using Connect.Testing;

namespace Connect.E2E.Cluster;

/// <summary>
/// Behind the nginx sample, a node that stops gracefully hands its Shiny sessions over at once, and a node that is
/// frozen (SIGSTOP: the kernel still accepts its connections, nothing answers) is failed over for new requests.
/// </summary>
public sealed class NodeStopFailoverTests : IDisposable
{
    private const int Sessions = 200;

    private readonly TempDirectory _folder = new("connect-stop-failover");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Two_hundred_shiny_sessions_of_a_node_that_gets_sigterm_reconnect_to_the_other_node_at_their_first_try()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        var config = database.ConfigLines + "[Node]\nDrainPeriod = 1s\n[Scheduler]\nMaxConnsPerProcess = 100\nMaxProcesses = 3\n; every session comes from this one test client\nMaxConnsPerClient = 1000\n";
        await using var a = NodeProcess.Start(_folder, "node-a", config);
        await a.WaitUntilServingAsync();
        await using var b = NodeProcess.Start(_folder, "node-b", config);
        await b.WaitUntilServingAsync();
        await using var nginx = await NginxProcess.StartAsync(_folder, a, b);
        var guid = await a.DeployAsync("echo", TestBundles.ShinyApp(TestBundles.EchoApp));
        var url = new Uri($"ws://127.0.0.1:{nginx.Port}/content/{guid}/websocket/");
        var pinnedToA = $"CONNECT_NODE=127.0.0.1:{a.Port}";

        // Every session as a browser pinned to node A has it.
        var sessions = await OpenAllAsync(Enumerable.Range(0, Sessions).Select(_ => (url, pinnedToA, 1)));
        Assert.Equal(Sessions, (await a.WorkersOfAsync(guid)).Sum(w => w.GetProperty("connections").GetInt32()));
        var closes = sessions.Select(s => ClosedWithAsync(s.Socket)).ToList();

        a.Terminate();

        var statuses = await Task.WhenAll(closes);
        Assert.All(statuses, s => Assert.Equal((WebSocketCloseStatus)1012, s));
        // What Shiny does on 1012: open a new session at once, with the cookie it has (still naming node A).
        var again = await OpenAllAsync(Enumerable.Range(0, Sessions).Select(_ => (url, pinnedToA, 2)));
        Assert.All(again, s => Assert.Contains($"CONNECT_NODE=127.0.0.1:{b.Port}", s.SetCookie));
        Assert.Equal(0, await a.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Stopped listening on", a.Output);
        foreach (var (socket, _) in sessions.Concat(again))
        {
            socket.Dispose();
        }
    }

    [Fact]
    public async Task A_frozen_node_is_failed_over_by_the_nginx_sample_for_new_requests()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var a = NodeProcess.Start(_folder, "node-a", database.ConfigLines);
        await a.WaitUntilServingAsync();
        await using var b = NodeProcess.Start(_folder, "node-b", database.ConfigLines);
        await b.WaitUntilServingAsync();
        await using var nginx = await NginxProcess.StartAsync(_folder, a, b);
        var site = await a.DeployAsync("site", TestBundles.StaticSite("served by whichever node lives"));
        using var client = new HttpClient { BaseAddress = nginx.BaseUrl, Timeout = TimeSpan.FromMinutes(3) };

        a.Freeze();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"content/{site}/");
            request.Headers.Add("Cookie", $"CONNECT_NODE=127.0.0.1:{a.Port}");
            using var response = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("served by whichever node lives", await response.Content.ReadAsStringAsync());
            Assert.Contains($"CONNECT_NODE=127.0.0.1:{b.Port}", string.Join(";", response.Headers.GetValues("Set-Cookie")));
        }
        finally
        {
            a.Thaw();
        }
    }

    /// <summary>Opens Shiny sessions (20 at a time), each answered by the app; any failure fails the test with its reason.</summary>
    private static async Task<List<(ClientWebSocket Socket, string SetCookie)>> OpenAllAsync(IEnumerable<(Uri Url, string Cookie, int N)> sessions)
    {
        using var gate = new SemaphoreSlim(20);
        var opening = sessions.Select(async s =>
        {
            await gate.WaitAsync();
            try
            {
                return await OpenAsync(s.Url, s.Cookie, s.N);
            }
            finally
            {
                gate.Release();
            }
        });
        return [.. await Task.WhenAll(opening)];
    }

    /// <summary>One try, as Shiny makes it: connect, send init, wait for the app's answer.</summary>
    private static async Task<(ClientWebSocket Socket, string SetCookie)> OpenAsync(Uri url, string cookie, int n)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", cookie);
        socket.Options.CollectHttpResponseDetails = true;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await socket.ConnectAsync(url, deadline.Token);
        var setCookie = string.Join(";", socket.HttpResponseHeaders?.GetValueOrDefault("Set-Cookie") ?? []);
        await socket.SendAsync(Encoding.UTF8.GetBytes("{\"method\":\"init\",\"data\":{\"n\":" + n + ",\".clientdata_output_out_hidden\":false}}"),
            WebSocketMessageType.Text, true, deadline.Token);
        var text = "";
        var buffer = new byte[65536];
        while (!text.Contains($"n is {n}", StringComparison.Ordinal))
        {
            var received = await socket.ReceiveAsync(buffer, deadline.Token);
            Assert.NotEqual(WebSocketMessageType.Close, received.MessageType);
            text += Encoding.UTF8.GetString(buffer, 0, received.Count);
        }

        return (socket, setCookie);
    }

    /// <summary>Reads until the server's close frame and gives its status.</summary>
    private static async Task<WebSocketCloseStatus?> ClosedWithAsync(ClientWebSocket socket)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var buffer = new byte[65536];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, deadline.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return received.CloseStatus;
            }
        }
    }
}
