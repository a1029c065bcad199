using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Shared.Configuration;
using Connect.Testing;

namespace Connect.E2E.Publishing;

/// <summary>Deploys with the real rsconnect package (Debian's r-cran-rsconnect) against a real node.</summary>
public sealed class RsconnectDeployTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-rsconnect");

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(DatabaseProvider.Sqlite, "/__api__")]
    [InlineData(DatabaseProvider.Postgres, "")]
    public async Task I_can_deploy_a_static_page_and_an_r_markdown_document_with_rsconnect(DatabaseProvider provider, string apiSuffix)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        // Enforcement on: the real rsconnect 0.8.29 must pass it.
        await using var node = NodeProcess.Start(_folder, "node-a", database.ConfigLines + "[LoadBalancing]\nEnforceMinRsconnectVersion = true\n");
        await node.WaitUntilServingAsync();

        var site = Directory.CreateDirectory(_folder.File("site")).FullName;
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<html><body><h1>First edition</h1></body></html>");
        var report = Directory.CreateDirectory(_folder.File("report")).FullName;
        await File.WriteAllTextAsync(Path.Combine(report, "report.Rmd"), "---\ntitle: \"Quarterly\"\noutput: html_document\n---\n\nThe answer is `r 6 * 7`.\n");
        var server = node.BaseUrl.ToString().TrimEnd('/') + apiSuffix;

        var rsconnect = Rsconnect.For(node, _folder, server);
        await rsconnect.DeployAsync(site, "site");
        var output = await rsconnect.DeployAsync(report, "report", "report.Rmd");

        Assert.Contains("Output created:", output); // the render log streamed back to rsconnect
        using var admin = node.ClientWithKey(node.AdminKey);
        var content = await admin.ContentByNameAsync();
        var siteGuid = content["site"];
        Assert.Contains("First edition", await admin.GetStringAsync($"content/{siteGuid}/"));
        Assert.Contains("The answer is 42", await admin.GetStringAsync($"content/{content["report"]}/"));

        // rsconnect's second deployApp from the same folder updates the same content item.
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<html><body><h1>Second edition</h1></body></html>");
        await rsconnect.DeployAsync(site, "site");
        var after = await admin.ContentByNameAsync();
        Assert.Equal(2, after.Count);
        Assert.Equal(siteGuid, after["site"]);
        Assert.Contains("Second edition", await admin.GetStringAsync($"content/{siteGuid}/"));
    }

}
