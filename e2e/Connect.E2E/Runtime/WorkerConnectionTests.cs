using System.Net;
using Connect.Testing;

namespace Connect.E2E.Runtime;

/// <summary>The node's own connections to a worker: kept alive and reused, and acknowledged at once.</summary>
public sealed class WorkerConnectionTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-worker-connections");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Requests_one_after_another_reuse_one_kept_alive_connection_to_the_worker()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        // Plumber tells which of its client's ports a request came over: the node's side of the connection.
        var guid = await node.DeployAsync("port", TestBundles.PlumberApi("#* @get /port\n#* @serializer text\nfunction(req) req$REMOTE_PORT\n"));

        var ports = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            // A new client connection each time: reuse is the node's doing, not the viewer's.
            using var viewer = new HttpClient { BaseAddress = node.BaseUrl };
            var response = await viewer.GetAsync($"content/{guid}/port");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ports.Add((await response.Content.ReadAsStringAsync()).Trim());
        }

        Assert.Single(ports.Distinct());
    }
}
