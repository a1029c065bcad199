using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Security;

/// <summary>
/// Who gets what: every kind of caller against Shiny content of every access type, through the content
/// URL, the Shiny WebSocket and the v1 API (read and change), each with exactly its expected status.
/// One node, real R workers.
/// </summary>
public sealed class AccessMatrixTests(AccessMatrixTests.Server server) : IClassFixture<AccessMatrixTests.Server>
{
    private NodeProcess Node => server.Node;

    private Dictionary<string, string?> Keys => server.Keys;

    private Dictionary<string, string> Items => server.Content;

    /// <summary>One node for the whole matrix: users of every kind, and one Shiny app per access type.</summary>
    public sealed class Server : IAsyncLifetime
    {
        private readonly TempDirectory _folder = new("connect-access");
        private NodeProcess _node = null!;

        public NodeProcess Node => _node;

        public Dictionary<string, string?> Keys { get; } = [];

        public Dictionary<string, string> Content { get; } = [];

        public async Task InitializeAsync()
        {
            _node = NodeProcess.Start(_folder, "access-node", "");
            await _node.WaitUntilServingAsync();
            Keys["anonymous"] = null;
            Keys["administrator"] = _node.AdminKey;
            foreach (var (name, role) in new[] { ("owner", "publisher"), ("publisher", "publisher"), ("viewer", "viewer"), ("listed", "viewer") })
            {
                Assert.Equal(0, (await _node.RunCommandAsync("users", "add", name, "--role", role)).ExitCode);
                Keys[name] = (await _node.RunCommandAsync("keys", "create", "--user", name)).Output.Split('\n')[^1];
            }

            // "listed" may see the acl item through a group, the way teams are usually given access.
            using var owner = _node.ClientWithKey(Keys["owner"]!);
            var group = await Json(await owner.PostAsJsonAsync("__api__/v1/groups", new { name = "readers" }));
            var listed = await Json(await owner.GetAsync("__api__/v1/users?page_size=100"));
            var listedGuid = listed.GetProperty("results").EnumerateArray().Single(u => u.GetProperty("username").GetString() == "listed").GetProperty("guid").GetString();
            Assert.True((await owner.PostAsJsonAsync($"__api__/v1/groups/{group.GetProperty("guid").GetString()}/members", new { user_guid = listedGuid })).IsSuccessStatusCode);

            foreach (var access in new[] { "all", "logged_in", "acl" })
            {
                var created = await Json(await owner.PostAsJsonAsync("__api__/v1/content", new { name = $"app-{access.Replace('_', '-')}" }));
                var guid = created.GetProperty("guid").GetString()!;
                Content[access] = guid;
                var permission = await owner.PostAsJsonAsync($"__api__/v1/content/{guid}/permissions",
                    new { principal_guid = group.GetProperty("guid").GetString(), principal_type = "group", role = "viewer" });
                Assert.True(permission.IsSuccessStatusCode, await permission.Content.ReadAsStringAsync());
                Assert.True((await owner.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { access_type = access })).IsSuccessStatusCode);
                await DeployAsOwnerAsync(owner, guid);
            }
        }

        private static async Task DeployAsOwnerAsync(HttpClient owner, string guid)
        {
            var body = new ByteArrayContent(TestBundles.ShinyApp(TestBundles.EchoApp));
            body.Headers.ContentType = new("application/gzip");
            var bundle = await Json(await owner.PostAsync($"__api__/v1/content/{guid}/bundles", body));
            var task = await Json(await owner.PostAsJsonAsync($"__api__/v1/content/{guid}/deploy", new { bundle_id = bundle.GetProperty("id").GetString() }));
            await Wait.UntilAsync(async () => (await Json(await owner.GetAsync($"__api__/v1/tasks/{task.GetProperty("task_id").GetString()}"))).GetProperty("finished").GetBoolean(), "deploy");
        }

        public async Task DisposeAsync()
        {
            await _node.DisposeAsync();
            _folder.Dispose();
        }
    }

    // caller, access type, content URL, WebSocket, v1 GET, v1 PATCH
    public static TheoryData<string, string, int, int, int, int> Matrix => new()
    {
        { "anonymous", "all", 200, 101, 401, 401 },
        { "anonymous", "logged_in", 401, 401, 401, 401 },
        { "anonymous", "acl", 401, 401, 401, 401 },
        { "viewer", "all", 200, 101, 200, 403 },
        { "viewer", "logged_in", 200, 101, 200, 403 },
        { "viewer", "acl", 404, 404, 404, 404 },
        { "listed", "all", 200, 101, 200, 403 },
        { "listed", "logged_in", 200, 101, 200, 403 },
        { "listed", "acl", 200, 101, 200, 403 },
        { "publisher", "all", 200, 101, 200, 403 },
        { "publisher", "logged_in", 200, 101, 200, 403 },
        { "publisher", "acl", 404, 404, 404, 404 },
        { "owner", "all", 200, 101, 200, 200 },
        { "owner", "logged_in", 200, 101, 200, 200 },
        { "owner", "acl", 200, 101, 200, 200 },
        { "administrator", "all", 200, 101, 200, 200 },
        { "administrator", "logged_in", 200, 101, 200, 200 },
        { "administrator", "acl", 200, 101, 200, 200 },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Each_caller_gets_exactly_its_status(string caller, string access, int page, int socket, int read, int change)
    {
        var guid = Items[access];
        using var client = Keys[caller] is { } key ? Node.ClientWithKey(key) : new HttpClient { BaseAddress = Node.BaseUrl };

        var pageStatus = (int)(await client.GetAsync($"content/{guid}/")).StatusCode;
        var socketStatus = await WebSocketStatusAsync(guid, Keys[caller]);
        var readStatus = (int)(await client.GetAsync($"__api__/v1/content/{guid}")).StatusCode;
        var changeStatus = (int)(await client.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { description = $"changed by {caller}" })).StatusCode;

        Assert.Equal((page, socket, read, change), (pageStatus, socketStatus, readStatus, changeStatus));
    }

    [Fact]
    public async Task A_browser_is_sent_to_sign_in_and_comes_back_to_the_content()
    {
        var guid = Items["acl"];
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Node.BaseUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"content/{guid}/?tab=2");
        request.Headers.Accept.ParseAdd("text/html");

        var response = await browser.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/__login__?url={Uri.EscapeDataString($"/content/{guid}/?tab=2")}", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Errors_for_hidden_content_do_not_name_its_owner()
    {
        using var publisher = Node.ClientWithKey(Keys["publisher"]!);
        var hidden = await publisher.GetAsync($"__api__/v1/content/{Items["acl"]}");
        var missing = await publisher.GetAsync($"__api__/v1/content/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.DoesNotContain("owner", await hidden.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_websocket_from_a_page_of_another_site_is_refused()
    {
        var guid = Items["all"];

        Assert.Equal(403, await WebSocketStatusAsync(guid, null, origin: "http://evil.example"));
        Assert.Equal(101, await WebSocketStatusAsync(guid, null, origin: $"http://127.0.0.1:{Node.Port}"));
    }

    private async Task<int> WebSocketStatusAsync(string guid, string? key, string? origin = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (key is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Key {key}");
        }

        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{Node.Port}/content/{guid}/websocket/"), CancellationToken.None);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
            return 101;
        }
        catch (WebSocketException)
        {
            return (int)socket.HttpStatusCode;
        }
    }

    [Fact]
    public async Task A_viewer_in_a_group_with_the_owner_role_gets_only_what_a_viewer_gets()
    {
        using var owner = Node.ClientWithKey(Keys["owner"]!);
        var groups = await Json(await owner.GetAsync("__api__/v1/groups?page_size=100"));
        var readers = groups.GetProperty("results").EnumerateArray().Single(g => g.GetProperty("name").GetString() == "readers").GetProperty("guid").GetString();
        var created = await Json(await owner.PostAsJsonAsync("__api__/v1/content", new { name = "group-owned" }));
        var guid = created.GetProperty("guid").GetString();
        var grant = await owner.PostAsJsonAsync($"__api__/v1/content/{guid}/permissions", new { principal_guid = readers, principal_type = "group", role = "owner" });
        Assert.True(grant.IsSuccessStatusCode, await grant.Content.ReadAsStringAsync());
        using var listed = Node.ClientWithKey(Keys["listed"]!); // a viewer, in that group

        var item = await Json(await listed.GetAsync($"__api__/v1/content/{guid}"));
        var change = await listed.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { access_type = "all" });
        var environment = await listed.GetAsync($"__api__/v1/content/{guid}/environment");
        var bundles = await listed.GetAsync($"__api__/v1/content/{guid}/bundles");

        Assert.Equal("viewer", item.GetProperty("app_role").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, change.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, environment.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, bundles.StatusCode);
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
