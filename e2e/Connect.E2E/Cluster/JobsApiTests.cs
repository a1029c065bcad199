using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.Shared.Configuration;
using Connect.Testing;

namespace Connect.E2E.Cluster;

/// <summary>An item's R processes as v1 jobs, across two nodes: listed from either node, stopped from either node.</summary>
public sealed class JobsApiTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-jobs-api");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_worker_on_node_b_is_a_job_that_node_a_lists_and_stops()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var a = NodeProcess.Start(_folder, "node-a", database.ConfigLines);
        await using var b = NodeProcess.Start(_folder, "node-b", database.ConfigLines);
        await a.WaitUntilServingAsync();
        await b.WaitUntilServingAsync();
        var guid = await a.DeployAsync("api", TestBundles.PlumberApi("#* @get /hi\nfunction() \"hi\"\n"));
        Assert.Equal(HttpStatusCode.OK, (await b.Http.GetAsync($"content/{guid}/hi")).StatusCode);
        var pid = Assert.Single(await b.WorkersOfAsync(guid)).GetProperty("pid").GetInt32();
        using var adminOfA = a.ClientWithKey(a.AdminKey);

        // Node B publishes its workers every second; node A lists B's worker as an active job of the item.
        JsonElement job = default;
        await Wait.UntilAsync(async () =>
        {
            var jobs = await adminOfA.GetFromJsonAsync<JsonElement>($"__api__/v1/content/{guid}/jobs");
            job = jobs.EnumerateArray().FirstOrDefault(j => j.GetProperty("hostname").GetString() == "node-b");
            return job.ValueKind == JsonValueKind.Object;
        }, "node A to list node B's worker");
        Assert.Equal(pid.ToString(), job.GetProperty("pid").GetString());
        Assert.Equal("run_api", job.GetProperty("tag").GetString());
        Assert.Equal(0, job.GetProperty("status").GetInt32());
        Assert.Equal(guid, job.GetProperty("app_guid").GetString());
        var key = job.GetProperty("key").GetString();
        Assert.Equal(HttpStatusCode.OK, (await adminOfA.GetAsync($"__api__/v1/content/{guid}/jobs/{key}")).StatusCode);

        var stop = await adminOfA.DeleteAsync($"__api__/v1/content/{guid}/jobs/{key}");

        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Contains("Order to kill job registered", await stop.Content.ReadAsStringAsync());
        await Wait.UntilAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), "node B to stop the R process");
        var unknown = await adminOfA.DeleteAsync($"__api__/v1/content/{guid}/jobs/no-such-key");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
