using Connect.E2E.Infrastructure;
using Connect.E2E.Runtime;
using Connect.Shared.Configuration;
using Connect.Testing;
using Microsoft.Playwright;

namespace Connect.E2E.Cluster;

/// <summary>A Shiny session in Chromium, through nginx, whose node dies.</summary>
public sealed class ShinyFailoverTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly TempDirectory _folder = new("connect-shiny-failover");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_shiny_app_that_allows_reconnecting_survives_its_node_being_killed()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var a = NodeProcess.Start(_folder, "node-a", database.ConfigLines);
        await a.WaitUntilServingAsync();
        await using var b = NodeProcess.Start(_folder, "node-b", database.ConfigLines);
        await b.WaitUntilServingAsync();
        await using var nginx = await NginxProcess.StartAsync(_folder, a, b);
        var guid = await a.DeployAsync("doubler", TestBundles.ShinyApp(ShinyAndPlumberTests.DoublingApp));
        var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(new Uri(nginx.BaseUrl, $"content/{guid}/").ToString());
        var result = page.Locator("#result");
        await page.GetByLabel("Number").FillAsync("21");
        await page.GetByRole(AriaRole.Button, new() { Name = "Double it" }).ClickAsync();
        await Assertions.Expect(result).ToHaveTextAsync("Result: 42");

        var pinned = (await context.CookiesAsync()).Single(c => c.Name == "CONNECT_NODE").Value;
        var (doomed, survivor) = pinned == $"127.0.0.1:{a.Port}" ? (a, b) : (b, a);
        Assert.NotEmpty(await doomed.WorkersOfAsync(guid));
        doomed.Kill();

        // Shiny reconnects by itself (no reload); the new session on the surviving node works.
        await Wait.UntilAsync(async () => (await survivor.WorkersOfAsync(guid)).Any(w => w.GetProperty("connections").GetInt32() > 0),
            "the browser to reconnect to the surviving node");
        await page.GetByLabel("Number").FillAsync("50");
        await page.GetByRole(AriaRole.Button, new() { Name = "Double it" }).ClickAsync();
        await Assertions.Expect(result).ToHaveTextAsync("Result: 100", new() { Timeout = 30_000 });
        Assert.Equal($"127.0.0.1:{survivor.Port}", (await context.CookiesAsync()).Single(c => c.Name == "CONNECT_NODE").Value);
        await context.CloseAsync();
    }
}
