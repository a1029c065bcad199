using Connect.Runtime.Packages;
using Connect.Shared.Configuration;
using Connect.Testing;

namespace Connect.Runtime.Tests.Packages;

public sealed class ManifestPackagesTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private (IReadOnlyList<ManifestPackage> Packages, bool Managed, string? Error) Read(string manifest)
    {
        File.WriteAllText(_folder.File("manifest.json"), manifest);
        return ManifestPackages.Read(_folder.Path);
    }

    [Fact]
    public void Packages_come_in_dependency_order_with_source_repository_and_what_they_need()
    {
        var (packages, managed, error) = Read("""
            {"packages": {
              "zeta": {"Source": "CRAN", "Repository": "https://cran.example.org", "description": {"Version": "1.0-2", "Imports": "alpha (>= 1.0), R (>= 4.0)", "LinkingTo": "beta"}},
              "beta": {"Source": "github", "description": {"Version": "0.3.1"}},
              "alpha": {"Source": "CRAN", "description": {"Version": "2.0.0", "Depends": "beta,\n  methods"}}
            }}
            """);

        Assert.Null(error);
        Assert.True(managed);
        Assert.Equal(["beta", "alpha", "zeta"], packages.Select(p => p.Name));
        var zeta = packages[2];
        Assert.Equal(("1.0-2", "CRAN", "https://cran.example.org"), (zeta.Version, zeta.Source, zeta.Repository));
        Assert.Equal(["alpha", "beta"], zeta.Dependencies.Order());
        Assert.True(packages[0].IsRemote);
        Assert.False(zeta.IsRemote);
    }

    [Fact]
    public void A_manifest_can_opt_out_of_package_management()
    {
        var (_, managed, error) = Read("""{"environment": {"environment_management": {"r": false}}, "packages": {}}""");

        Assert.Null(error);
        Assert.False(managed);
    }

    [Theory]
    [InlineData("../x", "1.0", "not an R package name")]
    [InlineData("a b", "1.0", "not an R package name")]
    [InlineData("x.", "1.0", "not an R package name")]
    [InlineData("ok", "1.0; rm -rf /", "not an R package version")]
    [InlineData("ok", "1", "not an R package version")]
    [InlineData("ok", "../../1.0", "not an R package version")]
    public void Names_and_versions_that_are_not_Rs_are_refused_by_name(string name, string version, string message)
    {
        var (packages, _, error) = Read("{\"packages\": {\"" + name + "\": {\"Source\": \"CRAN\", \"description\": {\"Version\": \"" + version + "\"}}}}");

        Assert.Empty(packages);
        Assert.Contains(message, error);
    }

    [Fact]
    public void A_package_that_describes_itself_as_another_is_refused()
    {
        var (_, _, error) = Read("""{"packages": {"shiny": {"Source": "CRAN", "description": {"Package": "evil", "Version": "1.0"}}}}""");

        Assert.Contains("describes itself as 'evil'", error);
    }

    [Fact]
    public void Repositories_are_tried_configured_first_then_the_manifests_url_in_lax_mode_then_the_rest()
    {
        var options = new ConnectOptions();
        options.RPackageRepository["cran"] = new RPackageRepositoryOptions { URL = "https://mirror.example.org/cran" };
        options.RPackageRepository["Internal"] = new RPackageRepositoryOptions { URL = "https://internal.example.org" };
        var package = new ManifestPackage("x", "1.0", "CRAN", "https://cloud.r-project.org", []);
        using var lax = new PackageRepositories(options);

        Assert.Equal(["https://mirror.example.org/cran", "https://cloud.r-project.org", "https://internal.example.org"], lax.For(package).Select(r => r.Url));
        Assert.Equal([true, false, true], lax.For(package).Select(r => r.Configured));

        options.R.PackageRepositoryResolution = PackageRepositoryResolution.Strict;
        using var strict = new PackageRepositories(options);
        Assert.Equal(["https://mirror.example.org/cran", "https://internal.example.org"], strict.For(package).Select(r => r.Url));
        Assert.Empty(new PackageRepositories(new ConnectOptions { R = { PackageRepositoryResolution = PackageRepositoryResolution.Strict } }).For(package));
    }

    [Fact]
    public void The_system_library_is_read_from_Rs_own_description_first_copy_of_each_name_winning()
    {
        var system = SystemLibrary.Parse("4.2.2\nx86_64-pc-linux-gnu\nshiny 1.7.4\nMASS 7.3-58.2\nshiny 1.5.0\n");

        Assert.Equal("4.2.2", system.RVersion);
        Assert.Equal("1.7.4", system.Installed["shiny"]);
        Assert.StartsWith("R-4.2.2/x86_64-pc-linux-gnu-", system.CacheKey);
        Assert.Throws<InvalidOperationException>(() => SystemLibrary.Parse("Error in foo\n"));
    }

    [Theory]
    [InlineData("Rscript (R) version 4.2.2 Patched (2022-11-10 r83330)\n", "4.2.2")]
    [InlineData("Rscript (R) version 4.4.1 (2024-06-14)", "4.4.1")]
    [InlineData("bash: Rscript: command not found", null)]
    public void Rs_version_is_read_from_what_Rscript_says(string output, string? version) =>
        Assert.Equal(version, Connect.Runtime.R.RInstallation.ParseVersion(output));
}
