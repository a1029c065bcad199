using System.Net.Http.Json;
using System.Text.Json;
using Connect.Shared.Configuration;
using Connect.Testing;

namespace Connect.E2E.Cluster;

/// <summary>Scheduled renders spread over real nodes sharing one PostgreSQL database and data directory.</summary>
public sealed class ScheduledRenderTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-schedules");

    public void Dispose() => _folder.Dispose();

    private static byte[] Document(string body) => TestBundles.Create(
        ("manifest.json", TestBundles.Manifest("rmd-static", primaryRmd: "doc.Rmd")),
        ("doc.Rmd", $"---\ntitle: \"Scheduled\"\noutput: html_document\n---\n\n{body}\n"));

    [Fact]
    public async Task Twenty_due_renders_run_once_each_within_every_nodes_concurrency_and_never_on_a_node_with_none()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var a = NodeProcess.Start(_folder, "node-a", database.ConfigLines + "[Applications]\nScheduleConcurrency = 2\n");
        await a.WaitUntilServingAsync();
        await using var b = NodeProcess.Start(_folder, "node-b", database.ConfigLines + "[Applications]\nScheduleConcurrency = 2\n");
        await using var c = NodeProcess.Start(_folder, "node-c", database.ConfigLines + "[Applications]\nScheduleConcurrency = 0\n");
        await Task.WhenAll(b.WaitUntilServingAsync(), c.WaitUntilServingAsync());
        var guids = new[] { await a.DeployAsync("first", Document("One.")), await a.DeployAsync("second", Document("Two.")) };
        using var admin = a.ClientWithKey(a.AdminKey);

        foreach (var guid in guids)
        {
            for (var i = 0; i < 10; i++)
            {
                await admin.ScheduleNowAsync(guid);
            }
        }

        var jobs = new List<JsonElement>();
        await Wait.UntilAsync(async () =>
        {
            jobs = [.. (await admin.JobsAsync(guids[0])), .. (await admin.JobsAsync(guids[1]))];
            return jobs.Count == 20 && jobs.All(j => j.GetProperty("state").GetString() is "succeeded" or "failed");
        }, "20 scheduled renders to finish", TimeSpan.FromMinutes(3));

        Assert.All(jobs, j => Assert.Equal("succeeded", j.GetProperty("state").GetString()));
        Assert.All(jobs, j => Assert.Equal(1, j.GetProperty("claim_token").GetInt64()));
        Assert.Equal(20, jobs.Select(j => j.GetProperty("schedule_id").GetInt64()).Distinct().Count());
        var byNode = jobs.GroupBy(j => j.GetProperty("node").GetString()!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.DoesNotContain("node-c", byNode.Keys);
        Assert.Equal(["node-a", "node-b"], byNode.Keys.Order());
        foreach (var (node, ran) in byNode)
        {
            var most = MostAtOnce(ran.Select(j => (j.GetProperty("start_time").GetDateTimeOffset(), j.GetProperty("end_time").GetDateTimeOffset())));
            Assert.True(most <= 2, $"{node} ran {most} renders at once");
        }
    }

    [Fact]
    public async Task A_render_whose_node_dies_is_run_again_by_another_node()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var a = NodeProcess.Start(_folder, "node-a", database.ConfigLines);
        await a.WaitUntilServingAsync();
        await using var b = NodeProcess.Start(_folder, "node-b", database.ConfigLines);
        await b.WaitUntilServingAsync();
        var guid = await a.DeployAsync("slow", Document("```{r}\nSys.sleep(6)\n```\n\nDone."));
        using var admin = a.ClientWithKey(a.AdminKey);

        await admin.ScheduleNowAsync(guid);
        JsonElement job = default;
        await Wait.UntilAsync(async () =>
        {
            job = (await admin.JobsAsync(guid)).SingleOrDefault();
            return job.ValueKind == JsonValueKind.Object && job.GetProperty("state").GetString() == "running";
        }, "the render to start");
        var first = job.GetProperty("node").GetString();
        var (doomed, survivor) = first == "node-a" ? (a, b) : (b, a);
        using var survivorAdmin = survivor.ClientWithKey(a.AdminKey);

        doomed.Kill();

        await Wait.UntilAsync(async () =>
        {
            job = (await survivorAdmin.JobsAsync(guid)).Single();
            return job.GetProperty("state").GetString() == "succeeded";
        }, "the abandoned render to be re-run elsewhere", TimeSpan.FromMinutes(2));
        Assert.Equal(survivor == a ? "node-a" : "node-b", job.GetProperty("node").GetString());
        Assert.Equal(2, job.GetProperty("claim_token").GetInt64());
        Assert.Contains("Done.", await survivor.Http.GetStringAsync($"content/{guid}/"));
    }

    private static int MostAtOnce(IEnumerable<(DateTimeOffset Start, DateTimeOffset End)> runs)
    {
        var edges = runs.SelectMany(r => new[] { (At: r.Start, Delta: 1), (At: r.End, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta);
        int now = 0, most = 0;
        foreach (var edge in edges)
        {
            now += edge.Delta;
            most = Math.Max(most, now);
        }

        return most;
    }
}
