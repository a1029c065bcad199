using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;
using Microsoft.Playwright;

namespace Connect.E2E.Security;

/// <summary>
/// In Chromium, the item's Access tab finds a colleague and a group the directory (a real slapd) has and this server
/// does not yet, and shares the item with them; the colleague's first sign-in then opens it.
/// </summary>
public sealed class LdapSharingInTheDashboardTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly TempDirectory _folder = new("connect-ldap-sharing");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task An_item_is_shared_with_a_directory_colleague_and_group_before_they_sign_in()
    {
        await using var slapd = await SlapdProcess.StartAsync(_folder,
        [
            new SlapdProcess.Person("carol", "carol-password", "admins"),
            new SlapdProcess.Person("dave", "dave-password"),
            new SlapdProcess.Person("erin", "erin-password", "analysts"),
            new SlapdProcess.Person("frank", "frank-password"),
        ]);
        await using var node = NodeProcess.Start(_folder, "node",
            "[Authentication]\nProvider = ldap\n" + slapd.Section("Example directory") + "[Authorization]\nAdministratorRoleMapping = admins\n");
        await node.WaitUntilServingAsync();
        await using var dashboard = await AdminProcess.StartAsync(_folder, node.ConfigPath);
        using var admin = node.ClientWithKey(node.AdminKey);
        var guid = await node.DeployAsync("plans", TestBundles.StaticSite("the plans"), accessType: "acl");

        // Carol, an administrator by her directory group, signs in to the dashboard with her directory password.
        var page = await (await browser.Browser.NewContextAsync()).NewPageAsync();
        await page.GotoAsync(new Uri(dashboard.BaseUrl, $"login?url=/content/{guid}").ToString());
        await page.GetByLabel("User name").FillAsync("carol");
        await page.GetByLabel("Password").FillAsync("carol-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains($"/content/{guid}", StringComparison.Ordinal));
        await page.WaitForInteractiveAsync();

        // Dave and the analysts group are only in the directory: found there, and shared with.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Access" }).ClickAsync();
        foreach (var (search, found) in new[] { ("dav", "Share with dave (user, from the directory)"), ("analy", "Share with analysts (group, from the directory)") })
        {
            await page.GetByTestId("share-search").FillAsync(search);
            await page.GetByTestId("share-find").ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = found }).ClickAsync();
        }

        await Assertions.Expect(page.GetByTestId("shared-with")).ToContainTextAsync("dave");
        await Assertions.Expect(page.GetByTestId("shared-with")).ToContainTextAsync("analysts");
        var dave = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users?prefix=dave")).GetProperty("results")[0];
        Assert.Equal("ldap", dave.GetProperty("provider").GetString());

        // Their first sign-ins open the item: dave as himself, erin through the group she joins as she signs in.
        foreach (var (user, password) in new[] { ("dave", "dave-password"), ("erin", "erin-password") })
        {
            using var viewer = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = node.BaseUrl };
            Assert.Equal(HttpStatusCode.Redirect, (await SignInForm.SignInAsync(viewer, user, password)).StatusCode);
            var item = await viewer.GetAsync($"content/{guid}/");
            Assert.Equal(HttpStatusCode.OK, item.StatusCode);
            Assert.Contains("the plans", await item.Content.ReadAsStringAsync());
        }

        // Dave's sign-in found the user the sharing made (not a second one); frank, shared with by nobody, is kept out.
        Assert.Equal(dave.GetProperty("guid").GetString(), (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/users?prefix=dave")).GetProperty("results")[0].GetProperty("guid").GetString());
        using var frank = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = node.BaseUrl };
        Assert.Equal(HttpStatusCode.Redirect, (await SignInForm.SignInAsync(frank, "frank", "frank-password")).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await frank.GetAsync($"content/{guid}/")).StatusCode);
    }
}
