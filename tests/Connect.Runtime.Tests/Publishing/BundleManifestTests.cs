using Connect.Runtime.Publishing;
using Connect.Testing;

namespace Connect.Runtime.Tests.Publishing;

public sealed class BundleManifestTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private (BundleManifest? Manifest, string? Error) Read(string? manifest, params string[] files)
    {
        if (manifest is not null)
        {
            File.WriteAllText(_folder.File("manifest.json"), manifest);
        }

        foreach (var file in files)
        {
            File.WriteAllText(_folder.File(file), "x");
        }

        return BundleManifest.Read(_folder.Path);
    }

    [Fact]
    public void An_rmd_manifest_gives_mode_primary_file_and_packages()
    {
        var (manifest, error) = Read(TestBundles.Manifest("rmd-static", primaryRmd: "report.Rmd", packages: ["rmarkdown", "knitr"]), "report.Rmd");

        Assert.Null(error);
        Assert.NotNull(manifest);
        Assert.Equal(("rmd-static", "report.Rmd"), (manifest.AppMode, manifest.PrimaryFile));
        Assert.Equal(["knitr", "rmarkdown"], manifest.Packages);
    }

    [Theory]
    [InlineData("shiny", "app.R")]
    [InlineData("shiny", "server.R")]
    [InlineData("api", "plumber.R")]
    [InlineData("static", "index.html")]
    public void The_primary_file_of_each_mode_is_found(string mode, string file)
    {
        var (manifest, error) = Read(TestBundles.Manifest(mode), file);

        Assert.Null(error);
        Assert.Equal(file, manifest!.PrimaryFile);
    }

    [Theory]
    [InlineData(null, "has no manifest.json")]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("[]", "no \"metadata\" object")]
    [InlineData("{\"metadata\": {}}", "no metadata.appmode")]
    [InlineData("{\"metadata\": {\"appmode\": \"python-dash\"}}", "app mode 'python-dash', which this server does not run")]
    [InlineData("{\"metadata\": {\"appmode\": \"rmd-static\", \"primary_rmd\": \"gone.Rmd\"}}", "has no gone.Rmd for app mode 'rmd-static'")]
    [InlineData("{\"metadata\": {\"appmode\": \"rmd-static\", \"primary_rmd\": \"../../etc/passwd\"}}", "has no ../../etc/passwd")]
    [InlineData("{\"metadata\": {\"appmode\": \"shiny\"}}", "has no app.R or server.R")]
    public void A_bad_manifest_is_refused_with_the_reason(string? manifest, string reason)
    {
        var (result, error) = Read(manifest);

        Assert.Null(result);
        Assert.Contains(reason, error);
    }
}
