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
        await Assertions.Expect(rowB).ToContainTextAsync("Stopped", new() { Timeout = 15_000 });
        await Assertions.Expect(rowA).ToContainTextAsync("Running");
    }

    [Fact]
    public async Task Only_administrators_get_in_and_other_host_names_are_refused()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        Assert.Equal(0, (await node.RunCommandAsync("users", "add", "vic", "--role", "viewer")).ExitCode);
        await SetPasswordAsync(node, "vic");
        await SetPasswordAsync(node, "admin");
        await using var admin = await AdminProcess.StartAsync(_folder, node.ConfigPath);
        var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        // Anonymous: sent to sign in.
        await page.GotoAsync(new Uri(admin.BaseUrl, "nodes").ToString());
        Assert.Contains("/login", page.Url);

        // A viewer: refused, with a way out.
        await SignInAsync(page, admin, "vic", "nodes");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Administrators only" })).ToBeVisibleAsync();

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

    private const string Password = "console password 1";

    private static async Task SetPasswordAsync(NodeProcess node, string user)
    {
        var (exitCode, output) = await node.RunCommandWithInputAsync(Password + "\n", "users", "passwd", user);
        Assert.True(exitCode == 0, output);
    }

    private static async Task SignInAsync(IPage page, AdminProcess admin, string user, string then)
    {
        await page.GotoAsync(new Uri(admin.BaseUrl, $"login?url=/{then}").ToString());
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }
}
