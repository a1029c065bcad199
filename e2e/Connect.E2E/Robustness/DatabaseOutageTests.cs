using System.Net;
using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Robustness;

/// <summary>While the database is away, content that is already running keeps being served, and /__ping__ says so.</summary>
public sealed class DatabaseOutageTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-outage");

    public void Dispose() => _folder.Dispose();

    private const string Api = """
        #* @serializer unboxedJSON
        #* @get /hello
        function() list(message = "still here")
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
        Assert.Contains("still here", await node.Http.GetStringAsync($"content/{open}/hello"));
        Assert.Contains("still here", await admin.GetStringAsync($"content/{members}/hello"));

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
            Assert.Equal(HttpStatusCode.OK, openDuring.StatusCode);
            Assert.Equal(HttpStatusCode.OK, membersDuring.StatusCode); // the key and the access check were known already
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
