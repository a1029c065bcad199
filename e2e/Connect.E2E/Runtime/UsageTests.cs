using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Runtime;

/// <summary>Page views and Shiny sessions are recorded without slowing viewers, and listed by the instrumentation API.</summary>
public sealed class UsageTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-usage");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Page_views_and_shiny_sessions_are_listed_with_who_and_when_for_administrators_only()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);
        var site = await node.DeployAsync("site", TestBundles.Create(
            ("manifest.json", TestBundles.Manifest("static", primaryHtml: "index.html")), ("index.html", "<h1>viewed</h1>"), ("style.css", "h1 {}")));
        var shiny = await node.DeployAsync("echo", TestBundles.ShinyApp(TestBundles.EchoApp));
        var adminGuid = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/user")).GetProperty("guid").GetString();

        // Two views (anonymous, then the administrator's key) and an asset, which is no view.
        await node.Http.GetStringAsync($"content/{site}/");
        await admin.GetStringAsync($"content/{site}/index.html");
        await node.Http.GetStringAsync($"content/{site}/style.css");
        using (var session = new ClientWebSocket())
        {
            session.Options.SetRequestHeader("Authorization", $"Key {node.AdminKey}");
            await session.ConnectAsync(new Uri($"ws://127.0.0.1:{node.Port}/content/{shiny}/websocket/"), CancellationToken.None);
            await session.SendAsync(Encoding.UTF8.GetBytes("{\"method\":\"init\",\"data\":{\"n\":1,\".clientdata_output_out_hidden\":false}}"),
                WebSocketMessageType.Text, true, CancellationToken.None);
            await session.ReceiveAsync(new byte[65536], CancellationToken.None);
            await session.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        JsonElement visits = default;
        await Wait.UntilAsync(async () => (visits = (await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/instrumentation/content/visits?content_guid={site}"))
            .GetProperty("results")).GetArrayLength() >= 2, "the views to be recorded").ShowingOutputOf(node);
        Assert.Equal(2, visits.GetArrayLength());
        Assert.Equal(["/", "/index.html"], visits.EnumerateArray().Select(v => v.GetProperty("path").GetString()));
        Assert.Equal(JsonValueKind.Null, visits[0].GetProperty("user_guid").ValueKind);
        Assert.Equal(adminGuid, visits[1].GetProperty("user_guid").GetString());
        Assert.All(visits.EnumerateArray(), v => Assert.Equal(site, v.GetProperty("content_guid").GetString()));

        JsonElement sessions = default;
        await Wait.UntilAsync(async () => (sessions = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/instrumentation/shiny/usage"))
            .GetProperty("results")).GetArrayLength() >= 1, "the Shiny session to be recorded").ShowingOutputOf(node);
        var recorded = Assert.Single(sessions.EnumerateArray());
        Assert.Equal(shiny, recorded.GetProperty("content_guid").GetString());
        Assert.Equal(adminGuid, recorded.GetProperty("user_guid").GetString());
        Assert.True(recorded.GetProperty("ended").GetDateTimeOffset() >= recorded.GetProperty("started").GetDateTimeOffset());

        // Paged: one at a time, the cursor leads to the second.
        var first = await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/instrumentation/content/visits?content_guid={site}&limit=1");
        var next = first.GetProperty("paging").GetProperty("next").GetString()!;
        var second = await admin.GetFromJsonAsync<JsonElement>(next);
        Assert.Equal("/index.html", Assert.Single(second.GetProperty("results").EnumerateArray()).GetProperty("path").GetString());

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("__api__/v1/instrumentation/content/visits?from=yesterday")).StatusCode);
        Assert.Equal(0, (await node.RunCommandAsync("users", "add", "pat", "--role", "publisher")).ExitCode);
        using var publisher = node.ClientWithKey(await node.CreateKeyAsync("pat"));
        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.GetAsync("__api__/v1/instrumentation/content/visits")).StatusCode);
    }
}
