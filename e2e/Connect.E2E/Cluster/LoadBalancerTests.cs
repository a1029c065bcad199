using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Shared.Configuration;
using Connect.Testing;

namespace Connect.E2E.Cluster;

/// <summary>Two nodes on one PostgreSQL database and one data directory, behind nginx from nginx.conf.sample.</summary>
public sealed class LoadBalancerTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new("connect-cluster");
    private TestDatabase _database = null!;

    public NodeProcess A { get; private set; } = null!;

    public NodeProcess B { get; private set; } = null!;

    public NginxProcess Nginx { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        A = NodeProcess.Start(_folder, "node-a", _database.ConfigLines);
        await A.WaitUntilServingAsync();
        B = NodeProcess.Start(_folder, "node-b", _database.ConfigLines);
        await B.WaitUntilServingAsync();
        Nginx = await NginxProcess.StartAsync(_folder, A, B);
    }

    public async Task DisposeAsync()
    {
        await Nginx.DisposeAsync();
        await A.DisposeAsync();
        await B.DisposeAsync();
        await _database.DisposeAsync();
        _folder.Dispose();
    }

    private static string? PinnedNode(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? cookies.Select(c => c.Split(';')[0]).FirstOrDefault(c => c.StartsWith("CONNECT_NODE=", StringComparison.Ordinal))?["CONNECT_NODE=".Length..]
            : null;

    [Fact]
    public async Task A_deploy_through_nginx_with_rsconnect_is_served_by_every_node()
    {
        var site = Directory.CreateDirectory(_folder.File("site")).FullName;
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<html><body>Served by the cluster</body></html>");

        await Rsconnect.For(A, _folder, Nginx.BaseUrl + "__api__").DeployAsync(site, "cluster-site");

        using var admin = A.ClientWithKey(A.AdminKey);
        var guid = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/content"))[0].GetProperty("guid").GetString();
        // The key made on A is accepted by B: both nodes read the one database.
        using var adminOnB = B.ClientWithKey(A.AdminKey);
        Assert.Contains("Served by the cluster", await admin.GetStringAsync($"content/{guid}/"));
        Assert.Contains("Served by the cluster", await adminOnB.GetStringAsync($"content/{guid}/"));
    }

    [Fact]
    public async Task New_clients_are_spread_a_pinned_client_stays_and_moves_when_its_node_dies()
    {
        // Cookie-less clients: round-robin over the nodes.
        using var fresh = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = Nginx.BaseUrl };
        var landed = new HashSet<string>();
        for (var i = 0; i < 10 && landed.Count < 2; i++)
        {
            landed.Add(PinnedNode(await fresh.GetAsync("__ping__"))!);
        }

        Assert.Equal(new HashSet<string> { $"127.0.0.1:{A.Port}", $"127.0.0.1:{B.Port}" }, landed);

        // A client that keeps the cookie stays on its node.
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = Nginx.BaseUrl };
        var first = PinnedNode(await browser.GetAsync("__ping__"));
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(first, PinnedNode(await browser.GetAsync("__ping__")));
        }

        // Its node dies: the next request succeeds elsewhere and the cookie follows.
        var (dead, alive) = first == $"127.0.0.1:{A.Port}" ? (A, B) : (B, A);
        dead.Kill();
        await dead.WaitForExitAsync();

        var after = await browser.GetAsync("__ping__");

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal($"127.0.0.1:{alive.Port}", PinnedNode(after));
        Assert.Equal($"127.0.0.1:{alive.Port}", cookies.GetCookies(Nginx.BaseUrl)["CONNECT_NODE"]?.Value);
        Assert.Equal($"127.0.0.1:{alive.Port}", PinnedNode(await browser.GetAsync("__ping__")));
    }
}
