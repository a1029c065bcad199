using System.Net;
using System.Net.WebSockets;
using Connect.Testing;

namespace Connect.E2E.Runtime;

/// <summary>Per-node process limits with real R workers: MaxProcesses, MaxConnsPerProcess, IdleTimeout, MinProcesses.</summary>
public sealed class WorkerLimitsTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new("connect-limits");
    private NodeProcess _node = null!;

    public async Task InitializeAsync()
    {
        _node = NodeProcess.Start(_folder, "limits-node", """
            [Scheduler]
            MaxProcesses = 2
            MaxConnsPerProcess = 2
            IdleTimeout = 2s
            """);
        await _node.WaitUntilServingAsync();
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        _folder.Dispose();
    }

    private async Task<ClientWebSocket> OpenSessionAsync(string guid)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_node.Port}/content/{guid}/websocket/"), CancellationToken.None);
        return socket;
    }

    [Fact]
    public async Task Five_sessions_get_two_workers_of_two_and_a_clean_503_for_the_fifth_and_idle_workers_go()
    {
        var guid = await _node.DeployAsync("limited", TestBundles.ShinyApp(TestBundles.EchoApp));
        var sessions = new List<ClientWebSocket>();
        for (var i = 0; i < 4; i++)
        {
            sessions.Add(await OpenSessionAsync(guid));
        }

        var fifth = new ClientWebSocket();
        fifth.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() =>
            fifth.ConnectAsync(new Uri($"ws://127.0.0.1:{_node.Port}/content/{guid}/websocket/"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, fifth.HttpStatusCode);
        var busyPage = await _node.Http.GetAsync($"content/{guid}/");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, busyPage.StatusCode);
        Assert.Contains("All 2 processes", await busyPage.Content.ReadAsStringAsync());

        var workers = await _node.WorkersOfAsync(guid);
        Assert.Equal(2, workers.Count);
        Assert.All(workers, w => Assert.Equal(2, w.GetProperty("connections").GetInt32()));
        Assert.All(workers, w => Assert.True(w.GetProperty("memory_bytes").GetInt64() > 0));

        foreach (var session in sessions)
        {
            // Leaving like a closed browser tab: no close handshake.
            session.Abort();
            session.Dispose();
        }

        await Wait.UntilAsync(async () => (await _node.WorkersOfAsync(guid)).Count == 0, "idle workers to stop after IdleTimeout");
        Assert.Contains("idle for", _node.Output);
    }

    [Fact]
    public async Task MinProcesses_keeps_a_worker_warm_past_the_idle_timeout()
    {
        var guid = await _node.DeployAsync("warm", TestBundles.ShinyApp(TestBundles.EchoApp));
        using var admin = _node.ClientWithKey(_node.AdminKey);

        var patched = await admin.PatchAsync($"__api__/v1/content/{guid}", JsonContent("{\"min_processes\": 1}"));
        Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());

        // No request at all: the supervisor starts it, and it outlives several idle timeouts.
        await Wait.UntilAsync(async () => (await _node.WorkersOfAsync(guid)) is [var w] && w.GetProperty("state").GetString() == "ready", "a warm worker");
        var pid = (await _node.WorkersOfAsync(guid))[0].GetProperty("pid").GetInt32();
        await Wait.UntilAsync(async () => (await _node.WorkersOfAsync(guid)) is [var w] && w.GetProperty("idle_seconds").GetDouble() > 5,
            "the warm worker to stay idle well past IdleTimeout (2s)");
        Assert.Equal(pid, (await _node.WorkersOfAsync(guid))[0].GetProperty("pid").GetInt32());
    }

    [Fact]
    public async Task Overrides_are_checked_against_the_configured_limits()
    {
        var guid = await _node.DeployAsync("overridden", TestBundles.ShinyApp(TestBundles.EchoApp));
        using var admin = _node.ClientWithKey(_node.AdminKey);

        var tooMany = await admin.PatchAsync($"__api__/v1/content/{guid}", JsonContent("{\"max_processes\": 50}"));
        var inverted = await admin.PatchAsync($"__api__/v1/content/{guid}", JsonContent("{\"min_processes\": 3, \"max_processes\": 2}"));

        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("Scheduler.MaxProcessesLimit", await tooMany.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, inverted.StatusCode);
        Assert.Contains("may not be greater than max_processes", await inverted.Content.ReadAsStringAsync());
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
