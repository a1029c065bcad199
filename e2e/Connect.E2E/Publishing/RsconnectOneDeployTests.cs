using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Publishing;

/// <summary>
/// A deploy made with the calls rsconnect 1.x makes (read from its source: the v1 API, not the 0.8 calls), in its
/// order, with its polling: each step answers as the client reads it.
/// </summary>
public sealed class RsconnectOneDeployTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-rsconnect-one");

    public void Dispose() => _folder.Dispose();

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task An_r_markdown_report_deployed_as_rsconnect_one_deploys_goes_live_with_few_polls_and_lists_as_it_reads_it()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        using var client = node.ClientWithKey(node.AdminKey);
        client.DefaultRequestHeaders.UserAgent.ParseAdd("rsconnect/1.10.0");

        // Who is this server, and who am I.
        var settings = await Json(await client.GetAsync("__api__/server_settings"));
        Assert.Equal("2024.08.0", settings.GetProperty("version").GetString());
        var me = await Json(await client.GetAsync("__api__/users/current"));
        Assert.Equal("admin", me.GetProperty("username").GetString());

        // A new item, its bundle, its deploy.
        var content = await Json(await client.PostAsJsonAsync("__api__/v1/content", new { name = "quarterly", title = "Quarterly" }));
        var guid = content.GetProperty("guid").GetString()!;
        var body = new ByteArrayContent(TestBundles.Create(
            ("manifest.json", TestBundles.Manifest("rmd-static", primaryRmd: "report.Rmd")),
            ("report.Rmd", "---\ntitle: \"Quarterly\"\noutput: html_document\n---\n\nThe answer is `r 6 * 7`.\n")));
        body.Headers.ContentType = new MediaTypeHeaderValue("application/x-gzip");
        var bundle = await Json(await client.PostAsync($"__api__/v1/content/{guid}/bundles", body));
        var task = await Json(await client.PostAsJsonAsync($"__api__/v1/content/{guid}/deploy", new { bundle_id = bundle.GetProperty("id").GetString() }));
        var taskId = task.GetProperty("task_id").GetString();

        // Its polling: first=N&wait=1, each answer once there is a new line (or a second has passed), until finished.
        var first = 0;
        var polls = 0;
        var lines = new List<string>();
        JsonElement state;
        do
        {
            state = await Json(await client.GetAsync($"__api__/v1/tasks/{taskId}?first={first}&wait=1"));
            polls++;
            lines.AddRange(state.GetProperty("output").EnumerateArray().Select(l => l.GetString()!));
            first = state.GetProperty("last").GetInt32();
        }
        while (!state.GetProperty("finished").GetBoolean() && polls < 600);

        Assert.Equal(0, state.GetProperty("code").GetInt32());
        Assert.Contains(lines, l => l.StartsWith("Rendering report.Rmd"));
        // A poll per line or per second of the render, not hundreds.
        Assert.True(polls <= lines.Count + 60, $"{polls} polls for {lines.Count} lines");

        // What it reads afterwards: the item (its dashboard and content URLs), the legacy listing (every field set).
        var deployed = await Json(await client.GetAsync($"__api__/v1/content/{guid}"));
        Assert.False(string.IsNullOrEmpty(deployed.GetProperty("dashboard_url").GetString()));
        Assert.Contains("The answer is 42", await client.GetStringAsync(deployed.GetProperty("content_url").GetString()));
        var id = deployed.GetProperty("id").GetInt64();
        var application = await Json(await client.GetAsync($"__api__/applications/{id}"));
        Assert.Equal("complete", application.GetProperty("build_status").GetString());
        var listed = (await Json(await client.GetAsync("__api__/applications?filter=name:quarterly"))).GetProperty("applications")[0];
        foreach (var field in new[] { "id", "name", "url", "build_status", "created_time", "last_deployed_time", "guid" })
        {
            Assert.NotEqual(JsonValueKind.Null, listed.GetProperty(field).ValueKind);
        }

        // updateAccountEnvVars(): the names, then a PATCH.
        Assert.Empty((await Json(await client.GetAsync($"__api__/v1/content/{guid}/environment"))).EnumerateArray());
        var patched = await Json(await client.PatchAsJsonAsync($"__api__/v1/content/{guid}/environment", new[] { new { name = "REGION", value = "emea" } }));
        Assert.Equal(["REGION"], patched.EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"__api__/v1/tasks/{taskId}?first={first}&wait=1")).StatusCode);
    }
}
