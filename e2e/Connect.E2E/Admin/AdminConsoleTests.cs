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
        var page = await browser.Browser.NewPageAsync();

        await page.GotoAsync(new Uri(admin.BaseUrl, "nodes").ToString());

        var table = page.GetByRole(AriaRole.Table);
        var rowA = table.GetByRole(AriaRole.Row).Filter(new() { HasText = "node-a" });
        var rowB = table.GetByRole(AriaRole.Row).Filter(new() { HasText = "node-b" });
        await Assertions.Expect(rowA).ToContainTextAsync("Running");
        await Assertions.Expect(rowB).ToContainTextAsync("Running");
        await Assertions.Expect(page.GetByTestId("schema-state")).ToContainTextAsync("schema version 1");

        // The page refreshes itself: a node that stops shows as stopped without a reload.
        b.Terminate();
        Assert.Equal(0, await b.WaitForExitAsync());
        await Assertions.Expect(rowB).ToContainTextAsync("Stopped", new() { Timeout = 15_000 });
        await Assertions.Expect(rowA).ToContainTextAsync("Running");
    }
}
