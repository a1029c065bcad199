using System.Net.Http.Json;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using Connect.E2E.Infrastructure;
using Connect.Shared.Configuration;
using Connect.Testing;
using static Connect.E2E.Infrastructure.RScript;

namespace Connect.E2E.Publishing;

/// <summary>
/// R packages restored on deploy, with the real rsconnect and R, from a CRAN-like repository the test builds and serves:
/// each item runs with the versions it was published with, from a package cache the node fills once.
/// </summary>
public sealed class PackageRestoreTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-packages");

    public void Dispose() => _folder.Dispose();

    /// <summary>A Plumber API answering with the versions it sees and where it loads packages from.</summary>
    private const string VersionApi = """
        #* @get /version
        function() list(version = as.character(packageVersion("conntest")), extra = EXTRA, libpaths = .libPaths())
        """;

    [Fact]
    public async Task Two_items_published_with_two_versions_of_a_package_run_side_by_side_each_with_its_own()
    {
        await using var repository = await TestPackageRepository.StartAsync();
        await using var node = NodeProcess.Start(_folder, "node", $"[RPackageRepository \"CRAN\"]\nURL = {repository.Url}\n");
        await node.WaitUntilServingAsync();

        // Two publishers' libraries: one has conntest 1.0.0 (now archived) and a package with C code, the other 2.0.0
        // and a package that imports it.
        var oldLibrary = _folder.File("lib-old");
        await repository.InstallIntoAsync(TestPackageRepository.Package("conntest", "1.0.0"), oldLibrary);
        await repository.InstallIntoAsync(TestPackageRepository.Package("conntestc", "0.1.0"), oldLibrary);
        var newLibrary = _folder.File("lib-new");
        await repository.InstallIntoAsync(TestPackageRepository.Package("conntest", "2.0.0"), newLibrary);
        await repository.InstallIntoAsync(TestPackageRepository.Package("conntestuser"), newLibrary);
        var oldApp = App("old-api", "library(conntest)\nlibrary(conntestc)\n", "conntestc::twice(21)");
        var newApp = App("new-api", "library(conntest)\nlibrary(conntestuser)\n", "conntestuser::greet()");

        var rsconnect = Rsconnect.For(node, _folder);
        var oldOutput = await rsconnect.DeployAsync(oldApp, "old-api", setup: PublisherSetup(oldLibrary, repository));
        var newOutput = await rsconnect.DeployAsync(newApp, "new-api", setup: PublisherSetup(newLibrary, repository));

        // The deploy log rsconnect prints says where each package came from.
        Assert.Contains($"conntest 1.0.0: installed from {repository.Url}", oldOutput);
        Assert.Contains($"conntestc 0.1.0: installed from {repository.Url}", oldOutput);
        Assert.Matches(@"plumber [0-9.\-]+: system library", oldOutput);
        Assert.Contains($"conntest 2.0.0: installed from {repository.Url}", newOutput);
        Assert.Contains($"conntestuser 1.0.0: installed from {repository.Url}", newOutput);

        using var admin = node.ClientWithKey(node.AdminKey);
        var content = await admin.ContentByNameAsync();
        var old = await admin.GetFromJsonAsync<JsonElement>($"content/{content["old-api"]}/version");
        var current = await admin.GetFromJsonAsync<JsonElement>($"content/{content["new-api"]}/version");
        Assert.Equal("1.0.0", old.GetProperty("version")[0].GetString());
        Assert.Equal(42, old.GetProperty("extra")[0].GetInt32()); // compiled C code runs
        Assert.Equal("2.0.0", current.GetProperty("version")[0].GetString());
        Assert.Equal("conntest 2.0.0", current.GetProperty("extra")[0].GetString());

        // Each item's library is its cache entries, ahead of the system library and nothing else.
        var libraries = old.GetProperty("libpaths").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.All(libraries.Take(2), p => Assert.StartsWith(Path.Combine(node.DataDir, "packages", "cache") + "/", p));
        Assert.All(libraries.Skip(2), p => Assert.StartsWith("/usr/", p));

        // Neither version went into the server's own R library.
        var host = await Cli.Wrap("Rscript").WithArguments(["-e", "cat(requireNamespace('conntest', quietly = TRUE))"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.Equal("FALSE", host.StandardOutput.Trim());

        // The packages API says where each package came from.
        var packages = (await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/content/{content["old-api"]}/packages")).EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!);
        Assert.Equal("cache", packages["conntest"].GetProperty("origin").GetString());
        Assert.Equal(repository.Url, packages["conntest"].GetProperty("repository").GetString());
        Assert.Equal("system", packages["plumber"].GetProperty("origin").GetString());

        // A redeploy takes everything from the cache: nothing is downloaded again.
        var again = await rsconnect.DeployAsync(oldApp, "old-api", setup: PublisherSetup(oldLibrary, repository));
        Assert.Contains("conntest 1.0.0: package cache", again);
        Assert.DoesNotContain("installed from", again);
        Assert.Equal(1, repository.Downloads(TestPackageRepository.Package("conntest", "1.0.0")));

        // The runtime caches API lists the cache, and removes it as a task; a build restores it.
        var caches = await admin.GetFromJsonAsync<JsonElement>("__api__/v1/system/caches/runtime");
        var version = Assert.Single(caches.GetProperty("caches").EnumerateArray()).GetProperty("version").GetString()!;
        var dryRun = await DeleteCacheAsync(admin, version, dryRun: true);
        Assert.Equal(JsonValueKind.Null, dryRun.GetProperty("task_id").ValueKind);
        Assert.True(Directory.Exists(Path.Combine(node.DataDir, "packages", "cache", $"R-{version}")));
        var deleted = await DeleteCacheAsync(admin, version, dryRun: false);
        await WaitForTaskAsync(admin, deleted.GetProperty("task_id").GetString()!);
        Assert.False(Directory.Exists(Path.Combine(node.DataDir, "packages", "cache", $"R-{version}")));

        // The item's next worker builds its packages again as it starts, and serves with them.
        var id = (await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/content/{content["old-api"]}")).GetProperty("id").GetInt64();
        (await admin.PostAsync($"__api__/applications/{id}/terminate", null)).EnsureSuccessStatusCode();
        var restarted = await admin.GetFromJsonAsync<JsonElement>($"content/{content["old-api"]}/version");
        Assert.Equal("1.0.0", restarted.GetProperty("version")[0].GetString());
        Assert.Equal(2, repository.Downloads(TestPackageRepository.Package("conntest", "1.0.0")));

        // build deploys the live bundle again, its packages restored (from the cache the start refilled).
        var build = await admin.PostAsJsonAsync($"__api__/v1/content/{content["old-api"]}/build", new { });
        var rebuilt = await WaitForTaskAsync(admin, (await NodePublishing.Json(build)).GetProperty("task_id").GetString()!);
        Assert.Contains("conntest 1.0.0: package cache", rebuilt);
    }

    [Fact]
    public async Task Two_nodes_build_a_package_both_need_at_once_only_once_and_serve_it_after_the_repository_is_gone()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        var repository = await TestPackageRepository.StartAsync();
        var conntest = TestPackageRepository.Package("conntest", "1.0.0");
        var conntestc = TestPackageRepository.Package("conntestc", "0.1.0");
        // The first download is slow, so the second node asks for the same packages while the first still builds them.
        repository.BeforeServing = path => path.EndsWith(conntest.Tarball, StringComparison.Ordinal) ? Task.Delay(TimeSpan.FromSeconds(2)) : Task.CompletedTask;
        var config = database.ConfigLines + $"[RPackageRepository \"CRAN\"]\nURL = {repository.Url}\n";
        await using var a = NodeProcess.Start(_folder, "node-a", config);
        await a.WaitUntilServingAsync();
        await using var b = NodeProcess.Start(_folder, "node-b", config);
        await b.WaitUntilServingAsync();
        var bundle = TestBundles.Create(("manifest.json", ManifestWith("api", Package(conntest), Package(conntestc))),
            ("plumber.R", "library(conntestc)\n" + VersionApi.Replace("EXTRA", "conntestc::twice(21)")));
        var (viaA, viaB) = (await a.CreateContentAsync("via-a"), await b.CreateContentAsync("via-b"));

        var deploys = await Task.WhenAll(DeployAsync(a, viaA, bundle), DeployAsync(b, viaB, bundle));

        Assert.All(deploys, d => Assert.True(d.Code == 0, d.Output + d.Error));
        Assert.Equal(1, repository.Downloads(conntest));
        Assert.Equal(1, repository.Downloads(conntestc));
        Assert.Single(deploys, d => d.Output.Contains("conntestc 0.1.0: installed from", StringComparison.Ordinal));
        Assert.Single(deploys, d => d.Output.Contains("conntestc 0.1.0: package cache", StringComparison.Ordinal));

        await repository.DisposeAsync();
        using var client = b.ClientWithKey(b.AdminKey);
        var served = await client.GetFromJsonAsync<JsonElement>($"content/{viaA}/version");
        Assert.Equal("1.0.0", served.GetProperty("version")[0].GetString());
        Assert.Equal(42, served.GetProperty("extra")[0].GetInt32());
    }

    [Fact]
    public async Task A_node_killed_mid_install_leaves_nothing_that_is_used_and_the_next_deploy_completes()
    {
        await using var repository = await TestPackageRepository.StartAsync();
        var held = TestPackageRepository.Package("conntesthold");
        var config = $"[RPackageRepository \"CRAN\"]\nURL = {repository.Url}\n";
        await File.WriteAllTextAsync(TestPackageRepository.HoldMarker, "its configure script waits while this file exists");
        try
        {
            var node = NodeProcess.Start(_folder, "node", config);
            await node.WaitUntilServingAsync();
            var guid = await node.CreateContentAsync("held");
            var bundle = TestBundles.Create(("manifest.json", ManifestWith("static", Package(held))), ("index.html", "<h1>held</h1>"));
            var deploy = DeployAsync(node, guid, bundle);
            var versions = Path.Combine(node.DataDir, "packages", "cache");
            // R CMD INSTALL is running (its lock folder is in the library it builds) when the node is killed.
            await Wait.UntilAsync(() => Task.FromResult(Directory.Exists(versions)
                && Directory.EnumerateDirectories(versions, "00LOCK-conntesthold", SearchOption.AllDirectories).Any()), "the install of conntesthold to start");
            node.Kill();
            await node.WaitForExitAsync();
            await node.DisposeAsync();
            _ = deploy.ContinueWith(t => t.Exception, TaskScheduler.Default); // its node is gone

            // cache/R-{version}/{platform}/conntesthold
            var folder = Path.Combine(Directory.GetDirectories(Directory.GetDirectories(versions, "R-*").Single()).Single(), "conntesthold");
            Assert.Empty(EntriesOf(node.DataDir, "conntesthold")); // only the partial build, which nothing uses
            Assert.NotEmpty(Directory.EnumerateDirectories(Path.Combine(folder, "1.0.0"), ".*.partial-*"));

            File.Delete(TestPackageRepository.HoldMarker);
            await using var again = NodeProcess.Start(_folder, "node", config);
            await again.WaitUntilServingAsync();
            var result = await DeployAsync(again, guid, bundle);

            Assert.True(result.Code == 0, result.Output + result.Error);
            Assert.Contains("conntesthold 1.0.0: installed from", result.Output);
            var entries = Directory.EnumerateDirectories(Path.Combine(folder, "1.0.0")).ToList();
            var entry = Assert.Single(entries); // the partial build was swept
            Assert.True(File.Exists(Path.Combine(entry, "conntesthold", "DESCRIPTION")));
        }
        finally
        {
            File.Delete(TestPackageRepository.HoldMarker);
        }
    }

    [Fact]
    public async Task Each_bad_package_input_fails_the_deploy_naming_it_and_the_live_bundle_stays()
    {
        await using var repository = await TestPackageRepository.StartAsync();
        var slow = TestPackageRepository.Package("conntestuser");
        repository.BeforeServing = path => path.EndsWith(slow.Tarball, StringComparison.Ordinal) ? Task.Delay(TimeSpan.FromSeconds(30)) : Task.CompletedTask;
        await using var node = NodeProcess.Start(_folder, "node", $"[RPackageRepository \"CRAN\"]\nURL = {repository.Url}\n[R]\nPackageInstallTimeout = 3s\n");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("kept", TestBundles.StaticSite("still live"));
        var loopback = $"http://127.0.0.1:{node.Port}";
        (string Packages, string Message)[] cases =
        [
            ("\"../x\": {\"Source\": \"CRAN\", \"description\": {\"Version\": \"1.0\"}}", "a package named '../x', which is not an R package name"),
            (Package("conntest", "1.0; rm -rf /"), "package conntest has version '1.0; rm -rf /', which is not an R package version"),
            (Package("conntest", "9.9.9", source: "github"), "conntest 9.9.9: it comes from 'github', which this server does not install from"),
            (Package("conntest", "7.7.7"), "R package conntest 7.7.7 was not found in its repository"),
            (Package("conntestbroken", "1.0.0"), "R package conntestbroken 1.0.0 did not build: R CMD INSTALL of the source from"),
            (Package("conntestuser", "1.0.0"), "R package conntestuser 1.0.0 was not downloaded and installed from"),
            (Package("conntest", "8.8.8", source: "Elsewhere", repository: loopback), "is this server itself"),
            (Package("conntest", "1.0.0", unmanaged: true), "uses the system library of R"),
        ];

        var errors = new Dictionary<string, string>();
        foreach (var (packages, message) in cases)
        {
            var bundle = TestBundles.Create(("manifest.json", ManifestWith("static", packages)), ("index.html", "<h1>replacement</h1>"));
            var result = await DeployAsync(node, guid, bundle);

            Assert.True(result.Code != 0, $"{packages} deployed");
            Assert.Contains(message, result.Error);
            Assert.Contains("still live", await node.Http.GetStringAsync($"content/{guid}/"));
            errors[message] = result.Error;
        }

        Assert.Contains("error:", errors.Single(e => e.Key.Contains("did not build")).Value); // the compiler's own words, from the end of R's output
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(node.DataDir, "packages", "cache"), "*.partial-*", SearchOption.AllDirectories));
        Assert.Empty(EntriesOf(node.DataDir, "conntestbroken"));

        // Opting out of package management uses the system library as it is, whatever version the manifest names.
        var optOut = await DeployAsync(node, guid, TestBundles.Create(("manifest.json", ManifestWith("static", Package("shiny", "0.0.1", unmanaged: true))),
            ("index.html", "<h1>system only</h1>")));
        Assert.True(optOut.Code == 0, optOut.Error);
        Assert.Contains("R packages are not managed for this content", optOut.Output);
    }

    [Fact]
    public async Task A_publishers_own_build_of_a_dependency_never_reaches_another_items_packages()
    {
        // The site lets publishers use a second repository, which anyone can upload to; a hostile publisher puts a
        // conntest 2.0.0 of her own there, whose code runs when a package is built against it.
        await using var repository = await TestPackageRepository.StartAsync();
        await using var hostile = await TestPackageRepository.StartAsync(TestPackageRepository.Hostile);
        await using var node = NodeProcess.Start(_folder, "node",
            $"[RPackageRepository \"CRAN\"]\nURL = {repository.Url}\n[RPackageRepository \"Internal\"]\nURL = {hostile.Url}\n");
        await node.WaitUntilServingAsync();
        var api = "library(conntestuser)\n" + VersionApi.Replace("EXTRA", "conntestuser::greet()");
        var (attacker, victim) = (await node.CreateContentAsync("attacker"), await node.CreateContentAsync("victim"));

        var attack = await DeployAsync(node, attacker, TestBundles.Create(("manifest.json", ManifestWith("api",
            Package("conntest", "2.0.0", source: "Internal"), Package("conntestuser", "1.0.0"))), ("plumber.R", api)));
        var deploy = await DeployAsync(node, victim, TestBundles.Create(("manifest.json", ManifestWith("api",
            Package("conntest", "2.0.0"), Package("conntestuser", "1.0.0"))), ("plumber.R", api)));

        Assert.True(attack.Code == 0, attack.Error);
        Assert.True(deploy.Code == 0, deploy.Error);
        Assert.Contains($"conntest 2.0.0: installed from {hostile.Url}", attack.Output);
        Assert.Contains($"conntest 2.0.0: installed from {repository.Url}", deploy.Output); // the first repository, not the other's build
        Assert.Contains($"conntestuser 1.0.0: installed from {repository.Url}", deploy.Output); // built again, against CRAN's conntest
        var builds = EntriesOf(node.DataDir, "conntestuser");
        Assert.Equal(2, builds.Count);
        Assert.Single(builds, b => File.Exists(Path.Combine(b, "conntestuser", "PWNED"))); // the attack ran, in the attacker's own build
        using var admin = node.ClientWithKey(node.AdminKey);
        var served = await admin.GetFromJsonAsync<JsonElement>($"content/{victim}/version");
        Assert.Equal("conntest 2.0.0", served.GetProperty("extra")[0].GetString());
    }

    [Fact]
    public async Task A_build_that_leaves_a_link_where_the_node_writes_fails_and_what_the_link_names_is_untouched()
    {
        await using var hostile = await TestPackageRepository.StartAsync(TestPackageRepository.Hostile);
        await File.WriteAllTextAsync(TestPackageRepository.LinkVictim, "the host's own file");
        try
        {
            await using var node = NodeProcess.Start(_folder, "node", $"[RPackageRepository \"CRAN\"]\nURL = {hostile.Url}\n");
            await node.WaitUntilServingAsync();
            var guid = await node.CreateContentAsync("linker");

            var result = await DeployAsync(node, guid, TestBundles.Create(("manifest.json", ManifestWith("static", Package("conntestlink", "1.0.0"))), ("index.html", "x")));

            Assert.True(result.Code != 0, result.Output);
            Assert.Contains("R package conntestlink 1.0.0 could not be written to the package cache", result.Error);
            Assert.Equal("the host's own file", await File.ReadAllTextAsync(TestPackageRepository.LinkVictim));
            Assert.Empty(EntriesOf(node.DataDir, "conntestlink"));
        }
        finally
        {
            File.Delete(TestPackageRepository.LinkVictim);
        }
    }

    [Fact]
    public async Task A_full_disk_mid_install_fails_the_deploy_by_name_and_nothing_half_built_is_kept()
    {
        await using var repository = await TestPackageRepository.StartAsync();
        var packages = Directory.CreateDirectory(Path.Combine(_folder.File("data"), "packages")).FullName;
        // The package cache on a file system too small for the package with C code.
        var mounted = await HostCommand.RunAsync("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", packages);
        Assert.True(mounted.Code == 0, mounted.Output);
        try
        {
            await using var node = NodeProcess.Start(_folder, "node", $"[RPackageRepository \"CRAN\"]\nURL = {repository.Url}\n");
            await node.WaitUntilServingAsync();
            var guid = await node.DeployAsync("kept", TestBundles.StaticSite("still live"));
            await File.WriteAllBytesAsync(Path.Combine(packages, "filler"), new byte[52 * 1024]);

            var result = await DeployAsync(node, guid, TestBundles.Create(("manifest.json", ManifestWith("static", Package("conntestc", "0.1.0"))), ("index.html", "x")));

            Assert.True(result.Code != 0, result.Output);
            Assert.Contains("R package conntestc 0.1.0", result.Error);
            Assert.Contains("No space left on device", result.Error);
            Assert.Contains("still live", await node.Http.GetStringAsync($"content/{guid}/"));
            Assert.Empty(EntriesOf(node.DataDir, "conntestc"));
            Assert.Empty(Directory.EnumerateDirectories(packages, "*.partial-*", SearchOption.AllDirectories));
        }
        finally
        {
            await HostCommand.RunAsync("umount", "-l", packages);
        }
    }

    /// <summary>The complete cache entries of <paramref name="name"/>, any version and source.</summary>
    private static List<string> EntriesOf(string dataDir, string name)
    {
        var cache = Path.Combine(dataDir, "packages", "cache");
        return !Directory.Exists(cache) ? [] : Directory.EnumerateDirectories(cache, name, SearchOption.AllDirectories)
            .SelectMany(Directory.EnumerateDirectories).SelectMany(Directory.EnumerateDirectories)
            .Where(entry => !Path.GetFileName(entry).StartsWith('.')).ToList();
    }

    /// <summary>A manifest entry as rsconnect writes one: the repository name, its URL, and the DESCRIPTION.</summary>
    private static string Package(TestPackage package) => Package(package.Name, package.Version);

    private static string Package(string name, string version, string source = "CRAN", string? repository = null, bool unmanaged = false) =>
        (unmanaged ? Unmanaged : "") + $"\"{name}\": " + JsonSerializer.Serialize(new
        {
            Source = source,
            Repository = repository,
            description = new { Package = name, Version = version, Repository = source, Imports = TestPackageRepository.Packages.FirstOrDefault(p => p.Name == name)?.Imports },
        });

    /// <summary>Marks a package entry whose manifest opts out of package management (<c>environment_management.r = false</c>).</summary>
    private const string Unmanaged = "UNMANAGED";

    private static string ManifestWith(string appMode, params string[] packages)
    {
        var environment = packages.Any(p => p.StartsWith(Unmanaged, StringComparison.Ordinal)) ? "\"environment\": {\"environment_management\": {\"r\": false}}, " : "";
        return "{\"version\": 1, \"metadata\": {\"appmode\": \"" + appMode + "\", \"primary_html\": \"index.html\"}, " + environment
            + "\"packages\": {" + string.Join(",", packages.Select(p => p.Replace(Unmanaged, ""))) + "}, \"files\": {}}";
    }

    /// <summary>Uploads and deploys a bundle; the finished task's code, output and error, whether it failed or not.</summary>
    private static async Task<(int Code, string Output, string Error)> DeployAsync(NodeProcess node, string guid, byte[] bundle)
    {
        var task = await node.TryRedeployAsync(guid, bundle, TimeSpan.FromMinutes(3));
        return (task.GetProperty("code").GetInt32(), Output(task), task.GetProperty("error").GetString() ?? "");
    }

    private static string Output(JsonElement task) => string.Join("\n", task.GetProperty("output").EnumerateArray().Select(l => l.GetString()));

    private string App(string name, string libraries, string extra)
    {
        var folder = Directory.CreateDirectory(_folder.File(name)).FullName;
        File.WriteAllText(Path.Combine(folder, "plumber.R"), libraries + VersionApi.Replace("EXTRA", extra));
        return folder;
    }

    /// <summary>A publisher's session: her own library first, and the repository she installed from.</summary>
    private static string PublisherSetup(string library, TestPackageRepository repository) =>
        $".libPaths(c({Quote(library)}, .libPaths()))\noptions(repos = c(CRAN = {Quote(repository.Url)}))";

    private static async Task<JsonElement> DeleteCacheAsync(HttpClient admin, string version, bool dryRun)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, "__api__/v1/system/caches/runtime")
        {
            Content = JsonContent.Create(new { language = "R", version, image_name = "Local", dry_run = dryRun }),
        };
        using var response = await admin.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await NodePublishing.Json(response);
    }

    /// <summary>Waits for a task to finish successfully; returns its output.</summary>
    private static async Task<string> WaitForTaskAsync(HttpClient admin, string taskId)
    {
        var task = await admin.WaitForTaskAsync(taskId, TimeSpan.FromMinutes(3));
        Assert.True(task.GetProperty("code").GetInt32() == 0, task.ToString());
        return Output(task);
    }
}
