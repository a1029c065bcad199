using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;
using Microsoft.Playwright;
using static Connect.E2E.Admin.AdminConsoleTests;

namespace Connect.E2E.Admin;

/// <summary>
/// The dashboard as its people use it, in Chromium against a real node, the real rsconnect and R: a publisher runs her
/// item from the browser alone, a viewer then sees exactly what was shared with her, an administrator manages people,
/// and a hostile item's page cannot act in the dashboard as the administrator who opens it.
/// </summary>
public sealed class DashboardTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly TempDirectory _folder = new("connect-dashboard");

    public void Dispose() => _folder.Dispose();

    private static string Report(string edition) =>
        $"---\ntitle: \"Quarterly\"\noutput: html_document\n---\n\n{edition}. The greeting is `r Sys.getenv(\"GREETING\", \"unset\")`.\n";

    [Fact]
    public async Task A_publisher_runs_her_report_from_the_browser_and_a_viewer_then_sees_exactly_it()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        foreach (var (user, role) in new[] { ("pat", "publisher"), ("vic", "viewer") })
        {
            Assert.Equal(0, (await node.RunCommandAsync("users", "add", user, "--role", role)).ExitCode);
            await SetPasswordAsync(node, user);
        }

        await SetPasswordAsync(node, "admin");
        await node.CreateContentAsync("admins-own", "acl");
        await using var dashboard = await AdminProcess.StartAsync(_folder, node.ConfigPath);
        using var admin = node.ClientWithKey(node.AdminKey);

        // Pat makes herself an API key in the dashboard; it is shown once.
        var pat = await (await browser.Browser.NewContextAsync()).NewPageAsync();
        await SignInAsync(pat, dashboard, "pat", "me");
        await pat.GetByTestId("new-key").Locator("input").FillAsync("laptop");
        await pat.GetByTestId("create-key").ClickAsync();
        var key = (await pat.GetByTestId("key-secret").Locator("code").TextContentAsync())!.Trim();
        await ScreenshotAsync(pat, "dashboard-me");

        // She deploys a report twice with rsconnect and that key: two bundles of one item.
        var folder = Directory.CreateDirectory(_folder.File("quarterly")).FullName;
        var rsconnect = new Rsconnect(node.BaseUrl.ToString().TrimEnd('/') + "/__api__", key, _folder.File("r-home"), "pat");
        await File.WriteAllTextAsync(Path.Combine(folder, "report.Rmd"), Report("First edition"));
        await rsconnect.DeployAsync(folder, "quarterly", "report.Rmd");
        await File.WriteAllTextAsync(Path.Combine(folder, "report.Rmd"), Report("Second edition"));
        await rsconnect.DeployAsync(folder, "quarterly", "report.Rmd");
        var guid = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/content?name=quarterly"))[0].GetProperty("guid").GetString()!;
        async Task<string> ReportAsync() => await admin.GetStringAsync($"content/{guid}/");
        Assert.Contains("Second edition. The greeting is unset", await ReportAsync());

        // Her content; her item.
        await pat.OpenAsync(new Uri(dashboard.BaseUrl, "content"));
        await Assertions.Expect(pat.GetByRole(AriaRole.Table)).ToContainTextAsync("quarterly");
        await Assertions.Expect(pat.GetByRole(AriaRole.Table)).Not.ToContainTextAsync("admins-own");
        await pat.GetByRole(AriaRole.Link, new() { Name = "quarterly" }).ClickAsync();
        await pat.WaitForInteractiveAsync();

        // Access: shared with vic as a viewer.
        await pat.GetByRole(AriaRole.Tab, new() { Name = "Access" }).ClickAsync();
        await pat.GetByTestId("share-search").FillAsync("vic");
        await pat.GetByTestId("share-find").ClickAsync();
        await pat.GetByTestId("share-with").ClickAsync();
        await Assertions.Expect(pat.GetByTestId("shared-with")).ToContainTextAsync("vic");
        await ScreenshotAsync(pat, "dashboard-access");

        // Variables: one set, its value never shown.
        await pat.GetByRole(AriaRole.Tab, new() { Name = "Variables" }).ClickAsync();
        await pat.GetByTestId("variable-name").FillAsync("GREETING");
        await pat.GetByTestId("variable-value").FillAsync("hello from the dashboard");
        await pat.GetByTestId("set-variable").ClickAsync();
        await Assertions.Expect(pat.GetByTestId("variables")).ToContainTextAsync("GREETING");
        Assert.DoesNotContain("hello from the dashboard", await pat.ContentAsync());

        // Schedule: added, then run now; a node renders it with the variable.
        await pat.GetByRole(AriaRole.Tab, new() { Name = "Schedule" }).ClickAsync();
        await pat.GetByTestId("schedule-interval").FillAsync("1d");
        await pat.GetByTestId("add-schedule").ClickAsync();
        await Assertions.Expect(pat.GetByTestId("schedules")).ToContainTextAsync("every 1d");
        await pat.GetByTestId("run-now").ClickAsync();
        await Wait.UntilAsync(async () => (await ReportAsync()).Contains("The greeting is hello from the dashboard"), "the scheduled run to render with the variable",
            TimeSpan.FromMinutes(2)).ShowingOutputOf(node);
        await ScreenshotAsync(pat, "dashboard-schedule");

        // Logs: the render's log, read in the browser.
        await pat.GetByRole(AriaRole.Tab, new() { Name = "Logs" }).ClickAsync();
        await pat.GetByTestId("refresh-logs").ClickAsync();
        await pat.GetByTestId("show-log-file").First.ClickAsync();
        await Assertions.Expect(pat.GetByTestId("log-file-text")).ToContainTextAsync("Output created");

        // Bundles: back to the first edition.
        await pat.GetByRole(AriaRole.Tab, new() { Name = "Bundles" }).ClickAsync();
        await pat.GetByTestId("activate-bundle").ClickAsync();
        await Assertions.Expect(pat.GetByTestId("bundle-message")).ToContainTextAsync("is being deployed");
        await Wait.UntilAsync(async () => (await ReportAsync()).Contains("First edition. The greeting is hello from the dashboard"), "the first bundle to be live again",
            TimeSpan.FromMinutes(2)).ShowingOutputOf(node);
        await ScreenshotAsync(pat, "dashboard-bundles");

        // Her key, revoked in the browser, stops working.
        using var withKey = node.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await withKey.GetAsync("__api__/v1/user")).StatusCode);
        await pat.OpenAsync(new Uri(dashboard.BaseUrl, "me"));
        await pat.GetByTestId("revoke-key").ClickAsync();
        await Assertions.Expect(pat.GetByTestId("keys")).ToContainTextAsync("revoked");
        // (Nodes hold a key's last answer for half a second.)
        await Wait.UntilAsync(async () => (await withKey.GetAsync("__api__/v1/user")).StatusCode == HttpStatusCode.Unauthorized, "the revoked key to be refused",
            TimeSpan.FromSeconds(10));

        // What she did in the browser is in the audit log as hers, the variable by name only.
        var audit = await admin.GetStringAsync("__api__/v1/audit_logs?limit=100");
        foreach (var action in new[] { "add_api_key", "add_permission", "update_environment", "add_schedule", "render_content", "deploy_content", "remove_api_key" })
        {
            Assert.Contains($"\"{action}\"", audit);
        }

        Assert.Contains("variable GREETING set", audit);
        Assert.Contains("user pat as Publisher (with the connect command)", audit); // the shell's changes too
        Assert.DoesNotContain("hello from the dashboard", audit);
        Assert.DoesNotContain(key, audit);

        // Vic sees exactly that item, as a viewer: what it is and its URL, none of its settings.
        var vic = await (await browser.Browser.NewContextAsync()).NewPageAsync();
        await SignInAsync(vic, dashboard, "vic", "content");
        var rows = vic.Locator("[aria-label=Content] tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows).ToContainTextAsync("quarterly");
        await vic.GetByRole(AriaRole.Link, new() { Name = "quarterly" }).ClickAsync();
        await Assertions.Expect(vic.GetByTestId("open-content")).ToContainTextAsync($"/content/{guid}/");
        await Assertions.Expect(vic.GetByRole(AriaRole.Tab, new() { Name = "Variables" })).ToHaveCountAsync(0);
        await ScreenshotAsync(vic, "dashboard-viewer");
    }

    [Fact]
    public async Task An_administrator_adds_and_locks_a_user_and_a_hostile_items_page_cannot_act_in_her_dashboard()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        await SetPasswordAsync(node, "admin");
        await using var dashboard = await AdminProcess.StartAsync(_folder, node.ConfigPath);
        var page = await (await browser.Browser.NewContextAsync()).NewPageAsync();
        await SignInAsync(page, dashboard, "admin", "users");

        // A user added and locked in the browser is locked on the server.
        await page.GetByTestId("new-username").FillAsync("dee");
        await page.GetByTestId("save-user").ClickAsync();
        await Assertions.Expect(page.GetByTestId("users")).ToContainTextAsync("dee");
        await page.GetByTestId("lock-dee").ClickAsync();
        await Assertions.Expect(page.GetByTestId("users-message")).ToContainTextAsync("dee is locked");
        using var admin = node.ClientWithKey(node.AdminKey);
        var dee = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users?prefix=dee")).GetProperty("results")[0];
        Assert.True(dee.GetProperty("locked").GetBoolean());
        await ScreenshotAsync(page, "dashboard-users");

        // A hostile item (its page is content: the node's origin) tries to act as its viewer in the dashboard: a
        // credentialed fetch and a form post that would sign her out, and a WebSocket to the dashboard's circuit.
        var origin = dashboard.BaseUrl.ToString().TrimEnd('/');
        var hostile = $$"""
            <html><body><h1>Hostile</h1>
            <iframe name="sink"></iframe>
            <form id="out" method="post" action="{{origin}}/logout" target="sink"></form>
            <script>
            fetch("{{origin}}/logout", { method: "POST", credentials: "include", mode: "no-cors" }).catch(() => {});
            document.getElementById("out").submit();
            const socket = new WebSocket("{{origin.Replace("http://", "ws://")}}/_blazor");
            socket.onopen = () => { document.title = "ws-open"; };
            socket.onerror = () => { document.title = "ws-refused"; };
            </script></body></html>
            """;
        var guid = await node.DeployAsync("hostile", TestBundles.Create(("manifest.json", TestBundles.Manifest("static", "index.html")), ("index.html", hostile)));
        var content = await page.Context.NewPageAsync();
        await content.GotoAsync(new Uri(node.BaseUrl, $"content/{guid}/").ToString());
        await Assertions.Expect(content).ToHaveTitleAsync("ws-refused");

        // Still signed in, and nothing changed.
        await page.OpenAsync(new Uri(dashboard.BaseUrl, "users"));
        await Assertions.Expect(page.GetByTestId("users")).ToContainTextAsync("dee");
        Assert.DoesNotContain("/login", page.Url);
    }

    [Fact]
    public async Task Behind_a_trusted_load_balancer_that_ends_tls_the_dashboard_checks_origins_against_what_the_browser_used()
    {
        await using var node = NodeProcess.Start(_folder, "node", "[LoadBalancing]\nTrustedProxies = 127.0.0.1\n");
        await node.WaitUntilServingAsync();
        await using var dashboard = await AdminProcess.StartAsync(_folder, node.ConfigPath);
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = dashboard.BaseUrl };

        async Task<HttpStatusCode> NegotiateAsync(string origin, bool forwarded)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "_blazor/negotiate?negotiateVersion=1");
            request.Headers.Add("Origin", origin);
            if (forwarded)
            {
                request.Headers.Add("X-Forwarded-Proto", "https");
                request.Headers.Add("X-Forwarded-Host", "dashboard.example.com");
            }

            return (await http.SendAsync(request)).StatusCode;
        }

        // The browser was on https://dashboard.example.com, as the trusted load balancer says: not refused for its origin
        // (it is asked to sign in instead). Without the load balancer's word, the same origin is another site.
        Assert.NotEqual(HttpStatusCode.Forbidden, await NegotiateAsync("https://dashboard.example.com", forwarded: true));
        Assert.Equal(HttpStatusCode.Forbidden, await NegotiateAsync("https://dashboard.example.com", forwarded: false));
        Assert.Equal(HttpStatusCode.Forbidden, await NegotiateAsync("https://content.example.com", forwarded: true));
    }
}
