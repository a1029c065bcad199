using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Runtime;

/// <summary>Re-rendering a deployed R Markdown document through the v1 API.</summary>
public sealed class RenderOnDemandTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-render");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_render_publishes_new_output_and_a_failed_one_keeps_the_last_good_output()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var rmd = $$"""
            ---
            title: "Stamp"
            output: html_document
            ---

            ```{r, echo = FALSE}
            if (Sys.getenv("FAIL_RENDER") == "yes") stop("asked to fail")
            ```

            Rendered `r format(Sys.time(), "%H:%M:%OS6")` by process `r Sys.getpid()`.
            """;
        var guid = await node.DeployAsync("stamp", TestBundles.Create(
            ("manifest.json", TestBundles.Manifest("rmd-static", primaryRmd: "stamp.Rmd")), ("stamp.Rmd", rmd)));
        using var admin = node.ClientWithKey(node.AdminKey);
        var first = await node.Http.GetStringAsync($"content/{guid}/");

        var rendered = await RenderAsync(admin, guid);
        Assert.Equal(0, rendered.GetProperty("code").GetInt32());
        var second = await node.Http.GetStringAsync($"content/{guid}/");
        Assert.Contains("Rendered", second);
        Assert.NotEqual(Stamp(first), Stamp(second));

        // Renders get the content's own environment variables (and nothing of the node's).
        var failNext = await admin.PatchAsJsonAsync($"__api__/v1/content/{guid}/environment", new[] { new { name = "FAIL_RENDER", value = "yes" } });
        Assert.True(failNext.IsSuccessStatusCode);
        var failed = await RenderAsync(admin, guid);
        Assert.Equal(1, failed.GetProperty("code").GetInt32());
        Assert.Contains(failed.GetProperty("output").EnumerateArray(), line => line.GetString()!.Contains("asked to fail"));
        Assert.Equal(Stamp(second), Stamp(await node.Http.GetStringAsync($"content/{guid}/")));
        // A render that failed is called that, in the task and in the node's log; it was no deploy.
        Assert.StartsWith("Render failed: ", failed.GetProperty("output").EnumerateArray().Last().GetString());
        await Wait.UntilAsync(() => node.Output.Contains($"Render of content {guid} failed"), "the failed render to be logged").ShowingOutputOf(node);
        Assert.DoesNotContain("Deploy failed", string.Join('\n', failed.GetProperty("output").EnumerateArray()));
    }

    [Fact]
    public async Task Only_r_markdown_documents_render()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("plain", TestBundles.StaticSite("hi"));
        using var admin = node.ClientWithKey(node.AdminKey);

        var response = await admin.PostAsync($"__api__/v1/content/{guid}/render", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("only a deployed R Markdown document", await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonElement> RenderAsync(HttpClient admin, string guid)
    {
        var started = await admin.PostAsync($"__api__/v1/content/{guid}/render", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var taskId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("task_id").GetString();
        JsonElement task = default;
        await Wait.UntilAsync(async () =>
        {
            task = await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/tasks/{taskId}");
            return task.GetProperty("finished").GetBoolean();
        }, "the render task");
        return task;
    }

    private static string Stamp(string html)
    {
        var at = html.IndexOf("Rendered", StringComparison.Ordinal);
        Assert.True(at >= 0, "the document shows its render stamp");
        return html.Substring(at, 60);
    }
}
