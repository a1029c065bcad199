using System.Net;
using Connect.Testing;

namespace Connect.E2E.Runtime;

/// <summary>The node's <c>/</c>: the content cards, and an administrator's own landing folder with its assets.</summary>
public sealed class LandingPageTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-landing");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_landing_page_shows_cards_anyone_may_open_and_searches_them()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        await node.DeployAsync("open-report", TestBundles.StaticSite("open"), accessType: "all");
        await node.DeployAsync("private-report", TestBundles.StaticSite("private"), accessType: "acl");

        var page = await node.Http.GetStringAsync("");
        Assert.Contains("class=\"cards\"", page);
        Assert.Contains("open-report", page);
        Assert.Contains("static site", page);
        Assert.DoesNotContain("private-report", page);
        Assert.Contains("Nothing you may open matches 'zzz'", await node.Http.GetStringAsync("?q=zzz"));

        using var admin = node.ClientWithKey(node.AdminKey);
        Assert.Contains("private-report", await admin.GetStringAsync(""));
    }

    [Fact]
    public async Task A_landing_folder_is_served_with_its_assets_to_visitors_and_signed_in_users_still_get_their_content()
    {
        var landing = Directory.CreateDirectory(_folder.File("landing")).FullName;
        await File.WriteAllTextAsync(Path.Combine(landing, "index.html"), "<html><head><link rel=stylesheet href=style.css></head><body>Welcome to Acme</body></html>");
        await File.WriteAllTextAsync(Path.Combine(landing, "style.css"), "body { color: teal; }");
        Directory.CreateDirectory(Path.Combine(landing, "img"));
        await File.WriteAllBytesAsync(Path.Combine(landing, "img", "logo.png"), [0x89, 0x50, 0x4e, 0x47]);
        await File.WriteAllTextAsync(Path.Combine(landing, ".secret"), "hidden");
        File.CreateSymbolicLink(Path.Combine(landing, "passwd.css"), "/etc/passwd");
        await using var node = NodeProcess.Start(_folder, "node", $"LandingDir = {landing}\n");
        await node.WaitUntilServingAsync();
        await node.DeployAsync("acme-report", TestBundles.StaticSite("report"), accessType: "all");

        Assert.Contains("Welcome to Acme", await node.Http.GetStringAsync(""));
        var css = await node.Http.GetAsync("style.css");
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("img/logo.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync(".secret")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync("passwd.css")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync("no-such.css")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await node.Http.GetAsync("__ping__")).StatusCode);

        // A signed-in user is given her content, not the visitors' page.
        using var admin = node.ClientWithKey(node.AdminKey);
        var hers = await admin.GetStringAsync("");
        Assert.Contains("acme-report", hers);
        Assert.DoesNotContain("Welcome to Acme", hers);
    }
}
