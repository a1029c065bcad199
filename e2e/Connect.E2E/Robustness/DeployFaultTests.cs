using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Connect.Shared.Configuration;
using Connect.Testing;

namespace Connect.E2E.Robustness;

/// <summary>Under faults, a deploy's reported result is what goes live: frozen nodes, and deploys that overtake each other.</summary>
public sealed class DeployFaultTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-deploy-faults");

    public void Dispose() => _folder.Dispose();

    private static byte[] Document(string body) => TestBundles.Create(
        ("manifest.json", TestBundles.Manifest("rmd-static", primaryRmd: "doc.Rmd")),
        ("doc.Rmd", $"---\ntitle: \"Doc\"\noutput: html_document\n---\n\n{body}\n"));

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<string> UploadAsync(HttpClient admin, string guid, byte[] bundle)
    {
        var body = new ByteArrayContent(bundle);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        return (await Json(await admin.PostAsync($"__api__/v1/content/{guid}/bundles", body))).GetProperty("id").GetString()!;
    }

    private static async Task<string> StartDeployAsync(HttpClient admin, string guid, string bundleId) =>
        (await Json(await admin.PostAsJsonAsync($"__api__/v1/content/{guid}/deploy", new { bundle_id = bundleId }))).GetProperty("task_id").GetString()!;

    private static async Task<JsonElement> TaskAsync(HttpClient client, string taskId) =>
        await Json(await client.GetAsync($"__api__/v1/tasks/{taskId}"));

    private static async Task<JsonElement> FinishedAsync(HttpClient client, string taskId, TimeSpan? timeout = null)
    {
        JsonElement task = default;
        await Wait.UntilAsync(async () => (task = await TaskAsync(client, taskId)).GetProperty("finished").GetBoolean(), $"task {taskId} to finish", timeout);
        return task;
    }

    [Fact]
    public async Task Of_two_deploys_the_one_asked_for_last_is_live_whichever_finishes_first()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);
        var guid = (await Json(await admin.PostAsJsonAsync("__api__/v1/content", new { name = "report" }))).GetProperty("guid").GetString()!;
        var slow = await UploadAsync(admin, guid, Document("```{r, echo = FALSE}\nSys.sleep(5)\n```\n\nSlow edition."));
        var quick = await UploadAsync(admin, guid, Document("Quick edition."));

        // The slow one is asked for first and finishes last: the quick one, asked for later, stays live.
        var slowTask = await StartDeployAsync(admin, guid, slow);
        await Wait.UntilAsync(async () => (await TaskAsync(admin, slowTask)).GetProperty("output").EnumerateArray().Any(l => l.GetString()!.StartsWith("Rendering")), "the slow render to start");
        var quickTask = await StartDeployAsync(admin, guid, quick);
        var quickDone = await FinishedAsync(admin, quickTask);
        var slowDone = await FinishedAsync(admin, slowTask);

        Assert.Equal(0, quickDone.GetProperty("code").GetInt32());
        Assert.Equal(1, slowDone.GetProperty("code").GetInt32());
        Assert.Contains("started later is live", slowDone.GetProperty("error").GetString());
        Assert.Equal(quick, (await Json(await admin.GetAsync($"__api__/v1/content/{guid}"))).GetProperty("bundle_id").GetString());
        Assert.Contains("Quick edition.", await admin.GetStringAsync($"content/{guid}/"));

        // Asked for last, the slow one goes live when it is done.
        var again = await FinishedAsync(admin, await StartDeployAsync(admin, guid, slow));
        Assert.Equal(0, again.GetProperty("code").GetInt32());
        Assert.Contains("Slow edition.", await admin.GetStringAsync($"content/{guid}/"));
    }

    [Fact]
    public async Task A_deploy_on_a_node_frozen_past_its_heartbeat_is_reported_failed_and_never_goes_live()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var a = NodeProcess.Start(_folder, "node-a", database.ConfigLines);
        await a.WaitUntilServingAsync();
        await using var b = NodeProcess.Start(_folder, "node-b", database.ConfigLines);
        await b.WaitUntilServingAsync();
        using var onA = a.ClientWithKey(a.AdminKey);
        using var onB = b.ClientWithKey(a.AdminKey);
        var guid = (await Json(await onA.PostAsJsonAsync("__api__/v1/content", new { name = "frozen" }))).GetProperty("guid").GetString()!;
        var bundle = await UploadAsync(onA, guid, Document("```{r, echo = FALSE}\nSys.sleep(4)\n```\n\nShould never be seen."));

        var taskId = await StartDeployAsync(onA, guid, bundle);
        await Wait.UntilAsync(async () => (await TaskAsync(onB, taskId)).GetProperty("output").EnumerateArray().Any(l => l.GetString()!.StartsWith("Rendering")), "the render to start");
        a.Freeze();
        JsonElement reported;
        try
        {
            reported = await FinishedAsync(onB, taskId);
        }
        finally
        {
            a.Thaw();
        }

        // Thawed, node A finishes the render and finds the task is no longer its own.
        await a.WaitForOutputAsync($"Task {taskId} of content {guid} is no longer this node's");
        Assert.Equal(1, reported.GetProperty("code").GetInt32());
        Assert.Contains("nothing of it went live", reported.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, (await Json(await onB.GetAsync($"__api__/v1/content/{guid}"))).GetProperty("bundle_id").ValueKind);
        Assert.Equal(1, (await TaskAsync(onA, taskId)).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_deploy_across_a_database_outage_finishes_and_its_reported_result_is_what_is_live()
    {
        await using var postgres = await TestPostgres.CreateDatabaseAsync();
        await using var node = NodeProcess.Start(_folder, "node",
            $"[Database]\nProvider = postgres\n[Postgres]\nURL = {postgres.Url}\nPassword = {postgres.Password}\n");
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);
        var guid = (await Json(await admin.PostAsJsonAsync("__api__/v1/content", new { name = "outage" }))).GetProperty("guid").GetString()!;
        // The render talks all the way through (each line is a task output line the node must keep).
        var bundle = await UploadAsync(admin, guid, Document(
            "```{r, echo = FALSE}\nfor (i in 1:8) { cat(\"step\", i, \"\\n\", file = stderr()); Sys.sleep(0.5) }\n```\n\nRendered across an outage."));

        var taskId = await StartDeployAsync(admin, guid, bundle);
        await Wait.UntilAsync(async () => (await TaskAsync(admin, taskId)).GetProperty("output").EnumerateArray().Any(l => l.GetString()!.StartsWith("Rendering")), "the render to start");
        await postgres.SetConnectionsAllowedAsync(false);
        try
        {
            // The database stays away until the render is over and the node has tried to record it.
            await node.WaitForOutputAsync($"Could not record the result of task {taskId}");
        }
        finally
        {
            await postgres.SetConnectionsAllowedAsync(true);
        }

        var done = await FinishedAsync(admin, taskId);
        Assert.True(done.GetProperty("code").GetInt32() == 0, done.GetProperty("error").ToString());
        Assert.Equal(bundle, (await Json(await admin.GetAsync($"__api__/v1/content/{guid}"))).GetProperty("bundle_id").GetString());
        Assert.Contains("Rendered across an outage.", await admin.GetStringAsync($"content/{guid}/"));
        var output = string.Join("\n", done.GetProperty("output").EnumerateArray().Select(l => l.GetString()));
        Assert.Contains("step 8", output);
        Assert.Equal(8, Regex.Matches(output, @"^step \d", RegexOptions.Multiline).Count);
    }
}
