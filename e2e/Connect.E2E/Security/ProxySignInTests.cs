using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;

namespace Connect.E2E.Security;

/// <summary>
/// <c>[Authentication] Provider = proxy</c> against a real node and dashboard: the user header signs in only on a
/// connection from <c>LoadBalancing.TrustedProxies</c> (here 127.0.0.1; the "outsider" connects from 127.0.0.2).
/// </summary>
public sealed class ProxySignInTests : IDisposable
{
    private const string Config = """
        [Authentication]
        Provider = proxy
        [ProxyAuth]
        GroupsHeader = X-Auth-Groups
        LoginURL = https://sso.example.org/login
        LogoutURL = https://sso.example.org/logout
        [Authorization]
        PublisherRoleMapping = data-team
        [LoadBalancing]
        TrustedProxies = 127.0.0.1
        """;

    private readonly TempDirectory _folder = new("connect-proxy-sign-in");

    public void Dispose() => _folder.Dispose();

    /// <summary>A client whose connections come from <paramref name="source"/> (any 127/8 address is this host's).</summary>
    private static HttpClient From(string source, Uri baseUrl) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
    }) { BaseAddress = baseUrl };

    private static HttpRequestMessage As(string path, string? user, string? groups = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html");
        if (user is not null)
        {
            request.Headers.Add("X-Auth-Username", user);
        }

        if (groups is not null)
        {
            request.Headers.Add("X-Auth-Groups", groups);
        }

        return request;
    }

    [Fact]
    public async Task The_proxys_header_signs_in_from_the_proxy_only_with_roles_from_its_groups_on_the_node_and_in_the_dashboard()
    {
        await using var node = NodeProcess.Start(_folder, "node", Config);
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("members", TestBundles.StaticSite("for signed-in people"), accessType: "logged_in");
        using var admin = node.ClientWithKey(node.AdminKey);
        using var proxy = From("127.0.0.1", node.BaseUrl);
        using var outsider = From("127.0.0.2", node.BaseUrl);

        // Through the proxy: signed in, made a viewer on first sight.
        var served = await proxy.SendAsync(As($"content/{guid}/", "sam"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("for signed-in people", await served.Content.ReadAsStringAsync());
        async Task<JsonElement> UserAsync(string name) => (await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/users?prefix={name}")).GetProperty("results")[0];
        Assert.Equal("viewer", (await UserAsync("sam")).GetProperty("user_role").GetString());

        // The same header from anyone else names nobody: sent to sign in, at the proxy.
        var forged = await outsider.SendAsync(As($"content/{guid}/", "admin"));
        Assert.Equal(HttpStatusCode.Redirect, forged.StatusCode);
        Assert.Contains("/__login__", forged.Headers.Location!.ToString());
        var login = await outsider.SendAsync(As(forged.Headers.Location!.ToString(), null));
        Assert.Equal("https://sso.example.org/login", login.Headers.Location?.ToString());
        await Wait.UntilAsync(() => node.Output.Contains("only a proxy in LoadBalancing.TrustedProxies may name a user"), "the node to log the untrusted header", TimeSpan.FromSeconds(10));

        // Her groups at the proxy give her role while a mapping names them.
        Assert.Equal(HttpStatusCode.OK, (await proxy.SendAsync(As($"content/{guid}/", "sam", "staff, data-team"))).StatusCode);
        Assert.Equal("publisher", (await UserAsync("sam")).GetProperty("user_role").GetString());

        // A name this server cannot have, and a locked user, are refused.
        Assert.NotEqual(HttpStatusCode.OK, (await proxy.SendAsync(As($"content/{guid}/", "*)(uid=*"))).StatusCode);
        Assert.Equal(0, (await node.RunCommandAsync("users", "lock", "sam")).ExitCode);
        await Wait.UntilAsync(async () => (await proxy.SendAsync(As($"content/{guid}/", "sam"))).StatusCode != HttpStatusCode.OK, "the locked user to be refused",
            TimeSpan.FromSeconds(10));

        // The dashboard believes the same proxy, and only it.
        await using var dashboard = await AdminProcess.StartAsync(_folder, node.ConfigPath);
        using var toDashboard = From("127.0.0.1", dashboard.BaseUrl);
        using var outsiderToDashboard = From("127.0.0.2", dashboard.BaseUrl);
        var mine = await toDashboard.SendAsync(As("content", "dee", "data-team"));
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
        Assert.Contains("Content", await mine.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await outsiderToDashboard.SendAsync(As("content", "dee"))).StatusCode);
    }
}
