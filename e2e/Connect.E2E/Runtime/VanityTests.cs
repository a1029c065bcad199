using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using Connect.Testing;

namespace Connect.E2E.Runtime;

/// <summary>A Shiny app under a vanity path: its page, its worker cookie and its WebSocket all live under that path.</summary>
public sealed class VanityTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-vanity");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_shiny_app_works_under_its_vanity_path_with_its_worker_cookie_there_too()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("echo", TestBundles.ShinyApp(TestBundles.EchoApp), accessType: "all");
        using var admin = node.ClientWithKey(node.AdminKey);
        (await admin.PutAsJsonAsync($"__api__/v1/content/{guid}/vanity", new { path = "/apps/echo/" })).EnsureSuccessStatusCode();

        var page = await node.Http.GetAsync("apps/echo/");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("shiny", await page.Content.ReadAsStringAsync());
        var cookie = Assert.Single(page.Headers.GetValues("Set-Cookie"), c => c.StartsWith("connect_worker=", StringComparison.Ordinal));
        Assert.Contains("path=/apps/echo/", cookie, StringComparison.OrdinalIgnoreCase);

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{node.Port}/apps/echo/websocket/"), CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"method":"init","data":{"n":7,".clientdata_output_out_hidden":false}}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = "";
        while (!text.Contains("n is 7", StringComparison.Ordinal))
        {
            var buffer = new byte[65536];
            var received = await socket.ReceiveAsync(buffer, deadline.Token);
            text += Encoding.UTF8.GetString(buffer, 0, received.Count);
        }

        Assert.Single(await node.WorkersOfAsync(guid));
    }
}
