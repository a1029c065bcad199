using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;

namespace Connect.E2E.Security;

/// <summary>
/// A publisher's Plumber API, deployed with the real rsconnect, tries what an attacker would: read the
/// database, the admin key, another item's bundle, the node's environment and its /proc, and write
/// outside its own folder. Every attempt must fail; its own folder must work.
/// </summary>
public sealed class SandboxTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-sandbox");

    public void Dispose() => _folder.Dispose();

    private const string ProbeApi = """
        readable <- function(p) isTRUE(tryCatch(length(readBin(p, "raw", 16L)) > 0L, error = function(e) FALSE, warning = function(w) FALSE))
        writable <- function(p) isTRUE(tryCatch({ writeLines("x", p); file.exists(p) }, error = function(e) FALSE, warning = function(w) FALSE))

        #* @serializer unboxedJSON
        #* @get /probe
        function(read = "", write = "", pid = "") {
          reads <- strsplit(read, "|", fixed = TRUE)[[1]]
          writes <- strsplit(write, "|", fixed = TRUE)[[1]]
          list(
            id = paste(system("id", intern = TRUE), collapse = " "),
            password = Sys.getenv("CONNECT_POSTGRES_PASSWORD"),
            variables = names(Sys.getenv()),
            secret = Sys.getenv("API_TOKEN"),
            read = as.list(setNames(vapply(reads, readable, logical(1)), reads)),
            write = as.list(setNames(vapply(writes, writable, logical(1)), writes)),
            node_environ = readable(file.path("/proc", pid, "environ")),
            processes = length(list.files("/proc", pattern = "^[0-9]+$")),
            home = writable(file.path(Sys.getenv("HOME"), "mine.txt"))
          )
        }
        """;

    [Fact]
    public async Task Content_runs_as_the_runas_user_and_cannot_reach_the_node_or_other_content()
    {
        await using var node = NodeProcess.Start(_folder, "node", "", new Dictionary<string, string> { ["CONNECT_POSTGRES_PASSWORD"] = "node-secret-password" });
        await node.WaitUntilServingAsync();
        var other = await node.DeployAsync("other", TestBundles.StaticSite("another publisher's page"));
        var api = Directory.CreateDirectory(_folder.File("probe")).FullName;
        await File.WriteAllTextAsync(Path.Combine(api, "plumber.R"), ProbeApi);
        await Rsconnect.For(node, _folder).DeployAsync(api, "probe");
        using var admin = node.ClientWithKey(node.AdminKey);
        var guid = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/content")).EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "probe").GetProperty("guid").GetString()!;
        var environment = await admin.PatchAsJsonAsync($"__api__/v1/content/{guid}/environment", new[] { new { name = "API_TOKEN", value = "content-secret" } });
        Assert.True(environment.IsSuccessStatusCode, await environment.Content.ReadAsStringAsync());

        var data = node.DataDir;
        var otherBundle = Directory.GetFiles(Path.Combine(data, "apps"), "index.html", SearchOption.AllDirectories).Single();
        var ownBundle = Directory.GetFiles(Path.Combine(data, "apps"), "plumber.R", SearchOption.AllDirectories).Single();
        string[] secrets = [Path.Combine(data, "db", "connect.db"), Path.Combine(data, "admin-api-key"), otherBundle, node.ConfigPath, "/etc/shadow"];
        string[] outside = [Path.Combine(Path.GetDirectoryName(ownBundle)!, "planted.R"), Path.Combine(data, "planted"), "/etc/planted", "/var/tmp/connect-planted", "/tmp/connect-planted"];
        var query = $"read={Uri.EscapeDataString(string.Join('|', secrets))}&write={Uri.EscapeDataString(string.Join('|', outside))}&pid={node.Pid}";

        var probe = await admin.GetFromJsonAsync<JsonElement>($"content/{guid}/probe?{query}");

        Assert.Contains("uid=18", probe.GetProperty("id").GetString()); // the item's own uid from Applications.RunAsRange
        Assert.DoesNotContain("uid=0", probe.GetProperty("id").GetString());
        Assert.Equal("", probe.GetProperty("password").GetString());
        Assert.DoesNotContain(probe.GetProperty("variables").EnumerateArray(), v => v.GetString()!.StartsWith("DOTNET_") || v.GetString() == "CONNECT_POSTGRES_PASSWORD");
        Assert.Equal("content-secret", probe.GetProperty("secret").GetString()); // its own secrets do reach it
        foreach (var file in secrets)
        {
            Assert.False(probe.GetProperty("read").GetProperty(file).GetBoolean(), $"content could read {file}");
        }

        foreach (var file in outside)
        {
            Assert.False(probe.GetProperty("write").GetProperty(file).GetBoolean() && File.Exists(file), $"content wrote {file} outside its sandbox");
            Assert.False(File.Exists(file), $"{file} appeared on the host");
        }

        Assert.False(probe.GetProperty("node_environ").GetBoolean(), "content read the node's /proc/<pid>/environ");
        Assert.True(probe.GetProperty("processes").GetInt32() < 10, "content sees only its own PID namespace");
        Assert.True(probe.GetProperty("home").GetBoolean(), "content could not write its own folder");
        Assert.True(File.Exists(Path.Combine(data, "home", guid, "mine.txt")), "its own folder is kept in the data directory");
        Assert.Contains("another publisher's page", await node.Http.GetStringAsync($"content/{other}/")); // the other item is untouched

        // An administrator may have an item run as a system user of their choosing, an existing one (PublishingApiTests: nobody else may).
        var unknown = await admin.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { run_as = "no-such-user" });
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, unknown.StatusCode);
        var set = await admin.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { run_as = "connect-content" });
        Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        Assert.Equal("connect-content", (await set.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_as").GetString());
        var running = Assert.Single(await node.WorkersOfAsync(guid)).GetProperty("id").GetString();
        await admin.DeleteAsync($"__api__/v1/content/{guid}/jobs/{running}");
        await Wait.UntilAsync(async () => (await node.WorkersOfAsync(guid)).Count == 0, "the worker to stop");
        var rerun = await admin.GetFromJsonAsync<JsonElement>($"content/{guid}/probe?{query}");
        Assert.Contains("connect-content", rerun.GetProperty("id").GetString());

        // A node killed outright takes its R processes with it.
        var pid = Assert.Single(await node.WorkersOfAsync(guid)).GetProperty("pid").GetInt32();
        Assert.True(Directory.Exists($"/proc/{pid}"));
        Assert.NotEmpty(LeftBy(node.Pid)); // while it runs (once it is dead, any node starting in a parallel test may sweep it)
        node.KillAlone();
        await node.WaitForExitAsync();
        await Wait.UntilAsync(() => !Directory.Exists($"/proc/{pid}"), "the R worker to die with its node");

        // What it left on the machine (its runtime folder with the socket's tmpfs, the worker's network namespace) goes
        // when the next node starts here, before that node runs any R.
        await using var next = NodeProcess.Start(_folder, "next", "");
        await next.WaitUntilServingAsync();
        await Wait.UntilAsync(() => LeftBy(node.Pid).Count == 0, "the killed node's runtime folder, mounts and namespaces to be swept");
    }

    /// <summary>The runtime folders, mounts and network namespaces on this machine named for node process <paramref name="pid"/>.</summary>
    private static List<string> LeftBy(int pid)
    {
        var folders = Directory.Exists("/run/connect") ? Directory.GetDirectories("/run/connect", $"{pid}-*") : [];
        var mounts = File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith($"/run/connect/{pid}-", StringComparison.Ordinal));
        var namespaces = Directory.Exists("/run/netns") ? Directory.GetFiles("/run/netns", $"connect-{pid}-*") : [];
        return [.. folders, .. mounts, .. namespaces];
    }
}
