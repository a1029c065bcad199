using System.Net.Http.Json;
using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Security;

/// <summary>
/// <c>Scheduler.SpareProcesses</c>: a Shiny app started from a spare R process (shiny loaded before the app was known)
/// must get exactly the sandbox a worker started for it gets: its bundle read-only, its own home writable and kept,
/// its variables, the RunAs user, and nothing of the node or of other content. The mounts that gave it its folders
/// go when it ends, and the node's spare root when the node stops.
/// </summary>
public sealed class SpareWorkerTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-spare");

    public void Dispose() => _folder.Dispose();

    private const string ProbeApp = """
        library(shiny)
        readable <- function(p) isTRUE(tryCatch(length(readBin(p, "raw", 16L)) > 0L, error = function(e) FALSE, warning = function(w) FALSE))
        writable <- function(p) isTRUE(tryCatch({ writeLines("x", p); file.exists(p) }, error = function(e) FALSE, warning = function(w) FALSE))
        ui <- function(req) {
          q <- parseQueryString(req$QUERY_STRING)
          reads <- strsplit(q$read, "|", fixed = TRUE)[[1]]
          probe <- list(
            id = paste(system("id", intern = TRUE), collapse = " "),
            password = Sys.getenv("CONNECT_POSTGRES_PASSWORD"),
            secret = Sys.getenv("API_TOKEN"),
            guid = Sys.getenv("CONNECT_CONTENT_GUID"),
            own_file = file.exists("app.R"),
            bundle_writable = writable("planted.R"),
            home = writable(file.path(Sys.getenv("HOME"), "mine.txt")),
            neighbours = length(list.files(dirname(getwd()))),
            spares = length(list.files("/run/connect", recursive = TRUE, all.files = TRUE)),
            read = as.list(setNames(vapply(reads, readable, logical(1)), reads))
          )
          tags$pre(id = "probe", HTML(jsonlite::toJSON(probe, auto_unbox = TRUE)))
        }
        shinyApp(ui, function(input, output) {})
        """;

    [Fact]
    public async Task A_shiny_app_started_from_a_spare_gets_its_own_sandbox_and_nothing_more()
    {
        await using var node = NodeProcess.Start(_folder, "node", "[Scheduler]\nSpareProcesses = 1\n[Applications]\nRunAsRange = none\n",
            new Dictionary<string, string> { ["CONNECT_POSTGRES_PASSWORD"] = "node-secret-password" });
        await node.WaitUntilServingAsync();
        var other = await node.DeployAsync("other", TestBundles.StaticSite("another publisher's page"));
        var guid = await node.DeployAsync("probe", TestBundles.ShinyApp(ProbeApp));
        using var admin = node.ClientWithKey(node.AdminKey);
        var environment = await admin.PatchAsJsonAsync($"__api__/v1/content/{guid}/environment", new[] { new { name = "API_TOKEN", value = "content-secret" } });
        Assert.True(environment.IsSuccessStatusCode, await environment.Content.ReadAsStringAsync());
        await node.WaitForOutputAsync("has loaded shiny and waits for an app", TimeSpan.FromSeconds(120));

        var data = node.DataDir;
        var otherBundle = Directory.GetFiles(Path.Combine(data, "apps"), "index.html", SearchOption.AllDirectories).Single();
        string[] secrets = [Path.Combine(data, "db", "connect.db"), Path.Combine(data, "admin-api-key"), otherBundle, node.ConfigPath, "/etc/shadow"];
        var page = await node.Http.GetStringAsync($"content/{guid}/?read={Uri.EscapeDataString(string.Join('|', secrets))}");
        var start = page.IndexOf("<pre id=\"probe\">", StringComparison.Ordinal) + "<pre id=\"probe\">".Length;
        var probe = JsonDocument.Parse(page[start..page.IndexOf("</pre>", start, StringComparison.Ordinal)]).RootElement;

        var worker = Assert.Single(await node.WorkersOfAsync(guid));
        var log = await File.ReadAllTextAsync(Directory.GetFiles(Path.Combine(data, "logs", guid)).Single());
        Assert.Contains("started from a spare R process", log);
        Assert.Contains("connect-content", probe.GetProperty("id").GetString());
        Assert.DoesNotContain("uid=0", probe.GetProperty("id").GetString());
        Assert.Equal("", probe.GetProperty("password").GetString());
        Assert.Equal("content-secret", probe.GetProperty("secret").GetString());
        Assert.Equal(guid, probe.GetProperty("guid").GetString());
        Assert.True(probe.GetProperty("own_file").GetBoolean(), "the app does not see its bundle");
        Assert.False(probe.GetProperty("bundle_writable").GetBoolean(), "the app could write into its bundle");
        Assert.Empty(Directory.GetFiles(Path.Combine(data, "apps"), "planted.R", SearchOption.AllDirectories));
        Assert.True(probe.GetProperty("home").GetBoolean(), "the app could not write its home");
        Assert.True(File.Exists(Path.Combine(data, "home", guid, "mine.txt")), "its home is kept in the data directory");
        Assert.Equal(2, probe.GetProperty("neighbours").GetInt32()); // its spare folder: app and home
        Assert.Equal(0, probe.GetProperty("spares").GetInt32());     // nothing of the node's runtime folder: no other spare's, no socket
        foreach (var file in secrets)
        {
            Assert.False(probe.GetProperty("read").GetProperty(file).GetBoolean(), $"the app could read {file}");
        }

        Assert.Contains("another publisher's page", await node.Http.GetStringAsync($"content/{other}/"));

        // Its bundle and home are mounted on the host only while it runs; a spare takes its place.
        var root = "/run/connect"; // the node runtime folder's parent: 0700 root
        Assert.Equal(3, MountsUnder(root, node.Pid)); // the node's root, and the app's bundle and home
        await Wait.UntilAsync(() => Task.FromResult(node.Output.Split("waits for an app").Length - 1 >= 2), "a new spare in the taken one's place");
        var stop = await admin.DeleteAsync($"__api__/v1/content/{guid}/jobs/{worker.GetProperty("id").GetString()}");
        Assert.True(stop.IsSuccessStatusCode, await stop.Content.ReadAsStringAsync());
        await Wait.UntilAsync(async () => (await node.WorkersOfAsync(guid)).Count == 0, "the worker to stop");
        await Wait.UntilAsync(() => Task.FromResult(MountsUnder(root, node.Pid) == 1), "the app's mounts to go");
        Assert.True(File.Exists(Path.Combine(data, "home", guid, "mine.txt")), "its home outlives the mount");

        node.Terminate(); // a stopping node takes its spare root away, and its workers' socket folders
        await node.WaitForExitAsync();
        Assert.Equal(0, MountsUnder(root, node.Pid));
        Assert.DoesNotContain(File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]), m => m.StartsWith($"{root}/{node.Pid}-", StringComparison.Ordinal));
    }

    /// <summary>Mount points under the node process's spare root (not its sockets' folders), from the host's mount table.</summary>
    private static int MountsUnder(string root, int nodePid) =>
        File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4])
            .Count(m => m.StartsWith($"{root}/{nodePid}-", StringComparison.Ordinal) && m.Contains("/spares", StringComparison.Ordinal));
}
