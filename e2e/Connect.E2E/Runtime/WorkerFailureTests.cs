using System.Diagnostics;
using System.Net;
using CliWrap;
using CliWrap.Buffered;
using Connect.E2E.Infrastructure;
using Connect.Testing;

namespace Connect.E2E.Runtime;

/// <summary>Workers that crash, fail to start, start too slowly, or lose their R packages.</summary>
public sealed class WorkerFailureTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-failures");

    public void Dispose() => _folder.Dispose();

    private const string EchoApi = """
        #* @get /pid
        function() list(pid = Sys.getpid())
        """;

    [Fact]
    public async Task A_worker_killed_from_outside_is_replaced_on_the_next_request()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("pid-api", TestBundles.PlumberApi(EchoApi));
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync($"content/{guid}/pid")).StatusCode);
        var pid = (await node.WorkersOfAsync(guid))[0].GetProperty("pid").GetInt32();

        // The listed pid is the worker's sandbox; R inside dies with it.
        Process.GetProcessById(pid).Kill();
        await Wait.UntilAsync(async () => (await node.ProcessesAsync()).GetProperty("recent_exits").EnumerateArray()
            .Any(e => e.GetProperty("pid").GetInt32() == pid), "the killed worker to be noticed");

        var second = await node.Http.GetAsync($"content/{guid}/pid");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var replacement = Assert.Single(await node.WorkersOfAsync(guid));
        Assert.NotEqual(pid, replacement.GetProperty("pid").GetInt32());
    }

    [Fact]
    public async Task A_worker_start_on_a_full_disk_fails_at_once_naming_the_disk_and_leaves_nothing_behind()
    {
        await using var node = NodeProcess.Start(_folder, "node", "[Node]\nDrainPeriod = 1s\n");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("full-disk", TestBundles.PlumberApi(EchoApi));
        // The item's log folder on a file system that is full.
        var logs = Directory.CreateDirectory(Path.Combine(node.DataDir, "logs", guid)).FullName;
        var mounted = await HostCommand.RunAsync("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", logs);
        Assert.True(mounted.Code == 0, mounted.Output);
        try
        {
            await using (var filler = File.Create(Path.Combine(logs, "filler")))
            {
                await Assert.ThrowsAsync<IOException>(async () =>
                {
                    while (true)
                    {
                        await filler.WriteAsync(new byte[4096]);
                        await filler.FlushAsync();
                    }
                });
            }

            // At once (the node's client gives up after 10 s; the start would otherwise wait out its 60 s init timeout).
            // (Asked by its owner: a viewer is told only that it could not start.)
            using var owner = node.ClientWithKey(node.AdminKey);
            var response = await owner.GetAsync($"content/{guid}/pid");

            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Contains("the disk of the data directory is full", await response.Content.ReadAsStringAsync());
            Assert.Empty(await node.WorkersOfAsync(guid));
            node.Terminate();
            // Drain (1 s), close frames (up to 2 s), workers (up to 5 s): nothing waits on a worker that never ran.
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            await HostCommand.RunAsync("umount", "-l", logs);
        }
    }

    [Fact]
    public async Task An_app_whose_r_code_fails_at_start_shows_rs_error_to_its_owner_only_and_keeps_a_log()
    {
        await using var node = NodeProcess.Start(_folder, "node", "DashboardAddress = https://dashboard.example.org/\n");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("broken", TestBundles.ShinyApp("stop('boom at start: the warehouse is closed')"));

        // A viewer (here anonymous: the item is open to all) is told it could not start, not R's output.
        var response = await node.Http.GetAsync($"content/{guid}/");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var viewerPage = await response.Content.ReadAsStringAsync();
        Assert.Contains("could not start. Its owner can see why", viewerPage);
        Assert.DoesNotContain("boom at start", viewerPage);

        // Its owner (here an administrator) gets R's error and the end of the log.
        using var owner = node.ClientWithKey(node.AdminKey);
        var ownerResponse = await owner.GetAsync($"content/{guid}/");
        Assert.Equal(HttpStatusCode.BadGateway, ownerResponse.StatusCode);
        var page = await ownerResponse.Content.ReadAsStringAsync();
        Assert.Contains("failed to start", page);
        Assert.Contains("boom at start: the warehouse is closed", page);
        Assert.Contains($"href=\"https://dashboard.example.org/content/{guid}\"", page); // to its Logs in the dashboard
        Assert.DoesNotContain("dashboard.example.org", viewerPage);
        // One log per start (the viewer's and the owner's requests each started one).
        var logs = Directory.GetFiles(Path.Combine(node.DataDir, "logs", guid));
        Assert.NotEmpty(logs);
        Assert.All(logs, log => Assert.Contains("boom at start", File.ReadAllText(log)));
    }

    [Fact]
    public async Task A_worker_that_does_not_listen_within_the_init_timeout_is_stopped_with_a_clear_page()
    {
        await using var node = NodeProcess.Start(_folder, "node", "[Scheduler]\nInitTimeout = 2s\n");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("sleepy", TestBundles.ShinyApp("Sys.sleep(120)\n" + TestBundles.EchoApp));

        using var owner = node.ClientWithKey(node.AdminKey);
        var response = await owner.GetAsync($"content/{guid}/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("did not start listening within 2 seconds (Scheduler.InitTimeout)", await response.Content.ReadAsStringAsync());
        await Wait.UntilAsync(async () => (await node.WorkersOfAsync(guid)).Count == 0, "the slow worker to be stopped");
    }

    [Fact]
    public async Task A_warm_worker_that_does_not_listen_within_the_init_timeout_is_stopped_and_another_started()
    {
        await using var node = NodeProcess.Start(_folder, "node", "[Scheduler]\nInitTimeout = 2s\n");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("sleepy-warm", TestBundles.ShinyApp("Sys.sleep(120)\n" + TestBundles.EchoApp));
        using var admin = node.ClientWithKey(node.AdminKey);

        // No viewer waits for it: the supervisor starts it for MinProcesses, and only InitTimeout stops it.
        var patched = await admin.PatchAsync($"__api__/v1/content/{guid}", new StringContent("{\"min_processes\": 1}", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(patched.IsSuccessStatusCode, await patched.Content.ReadAsStringAsync());

        var pids = new List<int>(); // in the order they appeared
        await Wait.UntilAsync(async () =>
        {
            foreach (var worker in await node.WorkersOfAsync(guid))
            {
                if (worker.TryGetProperty("pid", out var pid) && pid.ValueKind == System.Text.Json.JsonValueKind.Number && !pids.Contains(pid.GetInt32()))
                {
                    pids.Add(pid.GetInt32());
                }
            }

            return pids.Count >= 2;
        }, "a second warm worker after the first did not listen in time", TimeSpan.FromSeconds(60));

        await Wait.UntilAsync(() => node.Output.Contains("did not listen within 2s (InitTimeout)"), "the slow worker to be logged").ShowingOutputOf(node);
        await Wait.UntilAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pids[0]}")), "the worker that timed out to be gone");
    }

    [Fact]
    public async Task Content_whose_r_packages_vanished_names_them()
    {
        // A throw-away R package in R's own site library (content sees R's libraries, not the node's
        // environment), removed again before the app starts.
        var name = "connectfake" + Guid.NewGuid().ToString("N")[..8];
        var installed = Path.Combine("/usr/local/lib/R/site-library", name);
        var source = Directory.CreateDirectory(_folder.File("fakepkg")).FullName;
        await File.WriteAllTextAsync(Path.Combine(source, "DESCRIPTION"), $"Package: {name}\nVersion: 0.1\nTitle: Test\nDescription: Test.\nLicense: MIT\nAuthor: t\nMaintainer: t <t@example.com>\n");
        await File.WriteAllTextAsync(Path.Combine(source, "NAMESPACE"), "");
        var install = await Cli.Wrap("R").WithArguments(["CMD", "INSTALL", "--no-test-load", "-l", "/usr/local/lib/R/site-library", source])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(install.ExitCode == 0, install.StandardError);

        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        string guid;
        try
        {
            guid = await node.DeployAsync("needs-fake", TestBundles.ShinyApp($"library({name})\n" + TestBundles.EchoApp, name, "shiny"));
        }
        finally
        {
            Directory.Delete(installed, recursive: true);
        }

        using var owner = node.ClientWithKey(node.AdminKey);
        var response = await owner.GetAsync($"content/{guid}/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var page = await response.Content.ReadAsStringAsync();
        Assert.True(page.Contains($"not installed on this server: {name}", StringComparison.Ordinal), page);
        Assert.True(page.Contains("there is no package called", StringComparison.Ordinal), page); // R's own words, from the end of its log
    }

    [Fact]
    public async Task Unknown_content_and_content_never_deployed_get_404_pages()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);
        var created = await NodePublishing.Json(await admin.PostAsync("__api__/v1/content",
            new StringContent("{\"name\": \"empty-app\"}", System.Text.Encoding.UTF8, "application/json")));

        var unknown = await admin.GetAsync($"content/{Guid.NewGuid()}/");
        var empty = await admin.GetAsync($"content/{created.GetProperty("guid").GetString()}/");
        var unknownToAnonymous = await node.Http.GetAsync($"content/{Guid.NewGuid()}/");

        // Anonymous callers learn nothing about which items exist: they are asked to sign in.
        Assert.Equal(HttpStatusCode.Unauthorized, unknownToAnonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("There is no content", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, empty.StatusCode);
        Assert.Contains("has no deployed bundle yet", await empty.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Only_administrators_see_the_process_list()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var (_, _) = await node.RunCommandAsync("users", "add", "pat", "--role", "publisher");
        var (_, key) = await node.RunCommandAsync("keys", "create", "--user", "pat");
        using var publisher = node.ClientWithKey(key.Split('\n')[^1]);

        var response = await publisher.GetAsync("__api__/v1/server/processes");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("node", (await node.ProcessesAsync()).GetProperty("node").GetString());
    }
}
