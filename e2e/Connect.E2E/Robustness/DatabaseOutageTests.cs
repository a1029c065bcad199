using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Robustness;

/// <summary>While the database is away, deployed content keeps being served (its workers started again as needed), and /__ping__ says so.</summary>
public sealed class DatabaseOutageTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-outage");

    public void Dispose() => _folder.Dispose();

    private const string Api = """
        #* @serializer unboxedJSON
        #* @get /hello
        function() list(message = "still here", greeting = Sys.getenv("GREETING"))
        """;

    [Fact]
    public async Task Running_content_is_served_through_an_outage_and_the_node_reports_itself_degraded()
    {
        await using var postgres = await TestPostgres.CreateDatabaseAsync();
        await using var node = NodeProcess.Start(_folder, "node", $"[Database]\nProvider = postgres\n[Postgres]\nURL = {postgres.Url}\nPassword = {postgres.Password}\n");
        await node.WaitUntilServingAsync();
        var open = await node.DeployAsync("open-api", TestBundles.PlumberApi(Api));
        var members = await node.DeployAsync("members-api", TestBundles.PlumberApi(Api), accessType: "acl");
        using var admin = node.ClientWithKey(node.AdminKey);
        (await admin.PatchAsJsonAsync($"__api__/v1/content/{open}/environment", new[] { new { name = "GREETING", value = "hello from before" } })).EnsureSuccessStatusCode();
        Assert.Contains("hello from before", await node.Http.GetStringAsync($"content/{open}/hello"));
        Assert.Contains("still here", await admin.GetStringAsync($"content/{members}/hello"));

        // Its worker goes (as an idle one would), so the outage finds the item with none running.
        var id = (await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/content/{open}")).GetProperty("id").GetInt64();
        (await admin.PostAsync($"__api__/applications/{id}/terminate", null)).EnsureSuccessStatusCode();

        await postgres.SetConnectionsAllowedAsync(false);
        try
        {
            await Wait.UntilAsync(async () => (await node.Http.GetStringAsync("__ping__")).Contains("degraded"), "/__ping__ to report the outage");
            var ping = await node.Http.GetAsync("__ping__");
            var openDuring = await node.Http.GetAsync($"content/{open}/hello");
            var membersDuring = await admin.GetAsync($"content/{members}/hello");
            var api = await admin.GetAsync("__api__/v1/content");

            Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
            Assert.Equal("unreachable", JsonDocument.Parse(await ping.Content.ReadAsStringAsync()).RootElement.GetProperty("database").GetString());
            // A new worker starts for it, with the variables last read.
            Assert.True(openDuring.StatusCode == HttpStatusCode.OK, $"{openDuring.StatusCode}: {await openDuring.Content.ReadAsStringAsync()}\n{node.Output}");
            Assert.Contains("hello from before", await openDuring.Content.ReadAsStringAsync());
            // The key and the access check were known already.
            Assert.True(membersDuring.StatusCode == HttpStatusCode.OK, $"{membersDuring.StatusCode}: {await membersDuring.Content.ReadAsStringAsync()}\n{node.Output}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
            Assert.Contains("cannot be reached right now", await api.Content.ReadAsStringAsync());
        }
        finally
        {
            await postgres.SetConnectionsAllowedAsync(true);
        }

        await Wait.UntilAsync(async () => await node.Http.GetStringAsync("__ping__") == "{}", "/__ping__ to be healthy again");
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("__api__/v1/content")).StatusCode);
    }
}
