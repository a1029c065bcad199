using Connect.E2E.Infrastructure;
using Connect.Shared.Configuration;
using Connect.Testing;
using Microsoft.Playwright;

namespace Connect.E2E.Admin;

public sealed class AdminConsoleTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task The_console_shows_the_running_nodes_and_notices_one_stopping(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var a = NodeProcess.Start(_folder, "node-a", database.ConfigLines);
        await a.WaitUntilServingAsync();
        await using var b = NodeProcess.Start(_folder, "node-b", database.ConfigLines);
        await b.WaitUntilServingAsync();
        await using var admin = await AdminProcess.StartAsync(_folder, _folder.File("node-a.gcfg"));
        await SetPasswordAsync(a, "admin");
        var page = await browser.Browser.NewPageAsync();

        await SignInAsync(page, admin, "admin", "nodes");

        var table = page.GetByRole(AriaRole.Table);
        var rowA = table.GetByRole(AriaRole.Row).Filter(new() { HasText = "node-a" });
        var rowB = table.GetByRole(AriaRole.Row).Filter(new() { HasText = "node-b" });
        await Assertions.Expect(rowA).ToContainTextAsync("Running");
        await Assertions.Expect(rowB).ToContainTextAsync("Running");
        await Assertions.Expect(page.GetByTestId("schema-state")).ToContainTextAsync($"schema version {Connect.Shared.Data.Migrations.Latest}");

        // The page refreshes itself: a node that stops shows as stopped without a reload.
        b.Terminate();
        Assert.Equal(0, await b.WaitForExitAsync());
        await Assertions.Expect(rowB).ToContainTextAsync("Stopped");
        await Assertions.Expect(rowA).ToContainTextAsync("Running");
    }

    [Fact]
    public async Task The_console_follows_a_two_node_cluster_live_and_stops_a_worker()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        var config = database.ConfigLines + "[Metrics]\nInterval = 1s\n";
        await using var a = NodeProcess.Start(_folder, "node-a", config);
        await a.WaitUntilServingAsync();
        await using var b = NodeProcess.Start(_folder, "node-b", config);
        await b.WaitUntilServingAsync();
        await using var admin = await AdminProcess.StartAsync(_folder, _folder.File("node-a.gcfg"));
        await SetPasswordAsync(a, "admin");
        var guid = await a.DeployAsync("doubler", TestBundles.ShinyApp(Runtime.ShinyAndPlumberTests.DoublingApp));
        var console = await browser.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        await SignInAsync(console, admin, "admin", "nodes");
        var nodes = console.GetByRole(AriaRole.Table).GetByRole(AriaRole.Row);
        await Assertions.Expect(nodes.Filter(new() { HasText = "node-a" })).ToContainTextAsync("Running");
        await Assertions.Expect(nodes.Filter(new() { HasText = "node-b" })).ToContainTextAsync("Running");
        await ScreenshotAsync(console, "cluster");

        // A viewer opens the app on node B: its worker shows on node B's page, without a reload.
        await console.OpenAsync(new Uri(admin.BaseUrl, "nodes/node-b"));
        var viewer = await browser.Browser.NewPageAsync();
        await viewer.GotoAsync(new Uri(b.BaseUrl, $"content/{guid}/").ToString());
        await viewer.GetByLabel("Number").FillAsync("21");
        await viewer.GetByRole(AriaRole.Button, new() { Name = "Double it" }).ClickAsync();
        await Assertions.Expect(viewer.Locator("#result")).ToHaveTextAsync("Result: 42");
        var workerRow = console.Locator("[aria-label=Workers] tbody tr").Filter(new() { HasText = "doubler" }); // named by its item, not its GUID
        await Assertions.Expect(workerRow).ToBeVisibleAsync();
        var pid = (await b.WorkersOfAsync(guid)).Single().GetProperty("pid").GetInt32();
        await Assertions.Expect(workerRow).ToContainTextAsync(pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The node's charts fill with samples (published every 10 s).
        await Assertions.Expect(console.GetByTestId("chart-workers")).ToContainTextAsync("points", new() { Timeout = 30_000 });
        await ScreenshotAsync(console, "node");

        // Stopping it from the console ends the R process: the console says it has passed the request on, and node B
        // carries it out on its next tick.
        await workerRow.GetByTestId("stop-worker").ClickAsync();
        await Assertions.Expect(console.GetByText("Node node-b was asked to stop worker")).ToBeVisibleAsync();
        await Wait.UntilAsync(() => !Directory.Exists($"/proc/{pid}"), $"R process {pid} to end").ShowingOutputOf(b, admin);
        await Assertions.Expect(console.GetByText("No R process is running on this node.")).ToBeVisibleAsync();

        // The content page shows the deploy and its log.
        await console.OpenAsync(new Uri(admin.BaseUrl, "content"));
        await Assertions.Expect(console.Locator("[aria-label=Content] tbody tr").Filter(new() { HasText = "doubler" })).ToContainTextAsync("Shiny application");
        await ScreenshotAsync(console, "content-list");
        await console.GetByRole(AriaRole.Link, new() { Name = "doubler" }).ClickAsync();
        await console.GetByRole(AriaRole.Tab, new() { Name = "Logs" }).ClickAsync();
        await console.GetByTestId("show-deploy-log").First.ClickAsync();
        await Assertions.Expect(console.GetByTestId("log")).ToContainTextAsync($"is now live at /content/{guid}/");
        await ScreenshotAsync(console, "content");

        await console.OpenAsync(new Uri(admin.BaseUrl, "metrics"));
        await Assertions.Expect(console.GetByTestId("chart-host.memory").First).ToContainTextAsync("points", new() { Timeout = 30_000 });
        await ScreenshotAsync(console, "metrics");
        await console.OpenAsync(new Uri(admin.BaseUrl, "jobs"));
        await ScreenshotAsync(console, "jobs");

        // Node A dies without a word: the cluster page turns it stale by itself.
        await console.OpenAsync(new Uri(admin.BaseUrl, "nodes"));
        await Assertions.Expect(nodes.Filter(new() { HasText = "node-a" })).ToContainTextAsync("Running");
        a.Kill();
        await Assertions.Expect(nodes.Filter(new() { HasText = "node-a" })).ToContainTextAsync("Heartbeat stale", new() { Timeout = 30_000 });
        await Assertions.Expect(nodes.Filter(new() { HasText = "node-b" })).ToContainTextAsync("Running");
    }

    /// <summary>Saves the page for the README when <c>CONNECT_SCREENSHOTS</c> names a folder (bench/screenshots.sh sets it).</summary>
    internal static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("CONNECT_SCREENSHOTS") is { Length: > 0 } folder)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(folder, $"{name}.png"), FullPage = true });
        }
    }

    [Fact]
    public async Task Viewers_get_their_content_only_administrators_the_cluster_and_other_host_names_are_refused()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        Assert.Equal(0, (await node.RunCommandAsync("users", "add", "vic", "--role", "viewer")).ExitCode);
        await SetPasswordAsync(node, "vic");
        await SetPasswordAsync(node, "admin");
        await node.CreateContentAsync("open-to-all", "all");
        var hidden = await node.CreateContentAsync("admins-only", "acl");
        await using var admin = await AdminProcess.StartAsync(_folder, node.ConfigPath);
        var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        // Anonymous: sent to sign in.
        await page.GotoAsync(new Uri(admin.BaseUrl, "nodes").ToString());
        Assert.Contains("/login", page.Url);

        // A viewer: refused the cluster, with a way to her content.
        await SignInAsync(page, admin, "vic", "nodes");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Administrators only" })).ToBeVisibleAsync();

        // Her content: what she may see and nothing else, by the node's rules; an item she may not see is not there.
        await page.GotoAsync(new Uri(admin.BaseUrl, "content").ToString());
        await page.WaitForInteractiveAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Table)).ToContainTextAsync("open-to-all");
        await Assertions.Expect(page.GetByRole(AriaRole.Table)).Not.ToContainTextAsync("admins-only");
        await Assertions.Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("vic");
        await page.GotoAsync(new Uri(admin.BaseUrl, $"content/{hidden}").ToString());
        await Assertions.Expect(page.GetByTestId("no-item")).ToContainTextAsync("you may not open it");

        // Sign-out is one click.
        await page.GetByTestId("sign-out").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/login", StringComparison.Ordinal));

        // A client pointed at the dashboard is told so, in JSON.
        using (var client = new HttpClient())
        {
            using var answer = await client.GetAsync(new Uri(admin.BaseUrl, "__api__/server_settings"));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, answer.StatusCode);
            Assert.Contains("this is Connect's dashboard, not its server", await answer.Content.ReadAsStringAsync());
        }

        // An administrator: served.
        await context.ClearCookiesAsync();
        await SignInAsync(page, admin, "admin", "nodes");
        await Assertions.Expect(page.GetByRole(AriaRole.Table).GetByRole(AriaRole.Row).Filter(new() { HasText = "node" }).First).ToContainTextAsync("Running");

        // DNS rebinding: a request that names another host gets nothing.
        using var http = new HttpClient();
        using var rebound = new HttpRequestMessage(HttpMethod.Get, new Uri(admin.BaseUrl, "login"));
        rebound.Headers.Host = "attacker.example";
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await http.SendAsync(rebound)).StatusCode);
    }

    internal const string Password = "console password 1";

    internal static async Task SetPasswordAsync(NodeProcess node, string user)
    {
        var (exitCode, output) = await node.RunCommandWithInputAsync(Password + "\n", "users", "passwd", user);
        Assert.True(exitCode == 0, output);
    }

    internal static async Task SignInAsync(IPage page, AdminProcess admin, string user, string then)
    {
        await page.GotoAsync(new Uri(admin.BaseUrl, $"login?url=/{then}").ToString());
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal));
        if (!page.Url.Contains("/denied", StringComparison.Ordinal))
        {
            await page.WaitForInteractiveAsync();
        }
    }
}
