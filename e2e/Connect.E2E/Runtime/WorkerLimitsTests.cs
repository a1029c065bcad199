using System.Net;
using System.Net.Http.Json;
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
        await Wait.UntilAsync(() => _node.Output.Contains("idle for"), "the idle stop to be logged");
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

/// <summary>Scheduler.MaxConnsPerClient: one client cannot take every place of a public app by opening idle sockets.</summary>
public sealed class ClientConnectionLimitTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-client-limit");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Sixty_two_idle_upgrades_from_one_anonymous_client_leave_the_app_open_to_everyone_else()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("public", TestBundles.ShinyApp(TestBundles.EchoApp));
        var url = new Uri($"ws://127.0.0.1:{node.Port}/content/{guid}/websocket/");
        var opened = new List<ClientWebSocket>();
        var refused = new List<HttpStatusCode>();
        try
        {
            for (var i = 0; i < 62; i++)
            {
                var socket = new ClientWebSocket();
                socket.Options.CollectHttpResponseDetails = true;
                try
                {
                    await socket.ConnectAsync(url, CancellationToken.None);
                    opened.Add(socket);
                }
                catch (WebSocketException)
                {
                    refused.Add(socket.HttpStatusCode);
                    socket.Dispose();
                }
            }

            // Someone else (signed in with a key here; another address would do as well) still gets in.
            using var other = new ClientWebSocket();
            other.Options.SetRequestHeader("Authorization", $"Key {node.AdminKey}");
            await other.ConnectAsync(url, CancellationToken.None);

            Assert.Equal(8, opened.Count);
            Assert.Equal(54, refused.Count);
            Assert.All(refused, status => Assert.Equal(HttpStatusCode.TooManyRequests, status));
            Assert.Equal(WebSocketState.Open, other.State);
        }
        finally
        {
            opened.ForEach(s => s.Dispose());
        }
    }
}

/// <summary>Scheduler.MemoryLimit and ProcessLimit: one item cannot take the node's memory or fill its process table.</summary>
public sealed class WorkerResourceLimitTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-memory");

    public void Dispose() => _folder.Dispose();

    private const string HungryApi = """
        #* @get /eat
        function(mb) { x <- raw(as.numeric(mb) * 1024 * 1024); x[length(x)] <- as.raw(1); length(x) }

        #* @get /fork
        #* @serializer text
        function() {
          started <- 0L
          for (i in 1:200) {
            job <- tryCatch(parallel::mcparallel(Sys.sleep(30)), error = function(e) NULL)
            if (is.null(job)) break
            started <- i
          }
          as.character(started)
        }

        #* @get /hello
        #* @serializer text
        function() "still here"
        """;

    [Fact]
    public async Task A_worker_over_its_memory_is_stopped_and_said_so_and_the_node_and_other_items_go_on()
    {
        await using var node = NodeProcess.Start(_folder, "node", "[Scheduler]\nMemoryLimit = 300 MiB\nProcessLimit = 40\n");
        await node.WaitUntilServingAsync();
        var hungry = await node.DeployAsync("hungry", TestBundles.PlumberApi(HungryApi));
        var other = await node.DeployAsync("other", TestBundles.PlumberApi(HungryApi));
        using var admin = node.ClientWithKey(node.AdminKey);
        Assert.Equal("still here", await admin.GetStringAsync($"content/{other}/hello"));
        // Its R process is in cgroups of its own (memory, pids and cpu on cgroup v1; one group on v2), below the node's.
        var pid = Assert.Single(await node.WorkersOfAsync(other)).GetProperty("pid").GetInt32();
        var groups = File.ReadAllLines($"/proc/{pid}/cgroup").Select(l => l.Split(':', 3)).ToList();
        var v1 = groups.Where(g => g[1] is "memory" or "pids" || g[1].Split(',').Contains("cpu")).ToList();
        Assert.All(v1.Count > 0 ? v1 : groups.Where(g => g[0] == "0"), g => Assert.StartsWith("/connect/", g[2]));
        Assert.Equal("52428800", (await admin.GetStringAsync($"content/{hungry}/eat?mb=50")).Trim('[', ']')); // within its limit

        var eaten = await admin.GetAsync($"content/{hungry}/eat?mb=1000");

        Assert.False(eaten.IsSuccessStatusCode);
        await Wait.UntilAsync(async () => (await node.ProcessesAsync()).GetProperty("recent_exits").EnumerateArray()
            .Any(e => e.GetProperty("content_guid").GetString() == hungry && e.GetProperty("exit_reason").GetString()?.StartsWith("memory limit") == true),
            "the process list to say the worker went over its memory limit");
        Assert.Equal("still here", await admin.GetStringAsync($"content/{other}/hello"));
        Assert.Equal("still here", await admin.GetStringAsync($"content/{hungry}/hello")); // a new worker serves it again
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("__ping__")).StatusCode);

        // A fork bomb stops at the process limit, short of the 200 it asked for.
        var forked = int.Parse(await admin.GetStringAsync($"content/{other}/fork"));
        Assert.InRange(forked, 1, 39);

        // An item's own memory_limit wins over the node's: within bounds only.
        var tooSmall = await admin.PatchAsJsonAsync($"__api__/v1/content/{hungry}", new { memory_limit = 1000 });
        Assert.Equal(HttpStatusCode.BadRequest, tooSmall.StatusCode);
        Assert.Contains("memory_limit", await tooSmall.Content.ReadAsStringAsync());
        var raised = await admin.PatchAsJsonAsync($"__api__/v1/content/{hungry}", new { memory_limit = 1L << 30 });
        Assert.True(raised.IsSuccessStatusCode, await raised.Content.ReadAsStringAsync());
        Assert.Equal(1L << 30, (await raised.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("memory_limit").GetInt64());
        foreach (var worker in await node.WorkersOfAsync(hungry))
        {
            await admin.DeleteAsync($"__api__/v1/content/{hungry}/jobs/{worker.GetProperty("id").GetString()}");
        }

        await Wait.UntilAsync(async () => (await node.WorkersOfAsync(hungry)).Count == 0, "the worker started under the node's limit to stop");
        Assert.Equal("419430400", (await admin.GetStringAsync($"content/{hungry}/eat?mb=400")).Trim('[', ']'));
    }
}
