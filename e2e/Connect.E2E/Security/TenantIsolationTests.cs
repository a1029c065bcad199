using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;

namespace Connect.E2E.Security;

/// <summary>
/// One publisher's content, deployed with the real rsconnect, goes after everything on the machine that is not its
/// own: every TCP port and Unix socket it can find, the node's port, PostgreSQL's and a loopback service of the
/// test's, another owner's private API and its home, and every process it can signal. Nothing answers; its own
/// outbound fetch from a network the test made works, and with Applications.Network = none does not.
/// </summary>
public sealed class TenantIsolationTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-tenants");

    public void Dispose() => _folder.Dispose();

    private const string AttackerApi = """
        curl <- function(...) {
          out <- suppressWarnings(system2("curl", c("-s", "-m", "2", ...), stdout = TRUE, stderr = FALSE))
          status <- attr(out, "status")
          if (is.null(status) || status == 0L) paste(out, collapse = "\n") else ""
        }
        tcp_ports <- function(file) {
          lines <- tryCatch(readLines(file)[-1], error = function(e) character())
          local <- vapply(strsplit(trimws(lines), " +"), function(f) f[[2]], "")
          unique(strtoi(sub(".*:", "", local), 16L))
        }
        unix_paths <- function() {
          lines <- tryCatch(readLines("/proc/net/unix")[-1], error = function(e) character())
          fields <- strsplit(trimws(lines), " +")
          paths <- vapply(fields, function(f) if (length(f) >= 8L) f[[8]] else "", "")
          unique(paths[startsWith(paths, "/")])
        }

        #* @serializer unboxedJSON
        #* @get /attack
        function(ports = "", sockets = "", home = "", pid = "0", hosts = "") {
          found <- unique(c(tcp_ports("/proc/net/tcp"), tcp_ports("/proc/net/tcp6")))
          tried <- unique(c(found, as.integer(strsplit(ports, ",")[[1]])))
          answers <- list()
          for (host in c("127.0.0.1", "10.0.2.2", strsplit(hosts, ",")[[1]])) for (port in tried) {
            answer <- curl(sprintf("http://%s:%d/secret", host, port))
            if (nzchar(answer)) answers[[sprintf("%s:%d", host, port)]] <- answer
          }
          for (path in unique(c(unix_paths(), strsplit(sockets, "|", fixed = TRUE)[[1]]))) {
            answer <- curl("--unix-socket", path, "http://x/secret")
            if (nzchar(answer)) answers[[path]] <- answer
          }
          tools::pskill(as.integer(pid), tools::SIGKILL) # the victim's pid as the host numbers it
          # Its socket's folder is the one place outside its home it may write: a tiny tmpfs, not the host's /run.
          con <- file("/tmp/.connect/fill", "wb")
          tryCatch(writeBin(raw(4e6), con), error = function(e) NULL, warning = function(w) NULL)
          tryCatch(close(con), error = function(e) NULL, warning = function(w) NULL)
          list(
            filled = file.size("/tmp/.connect/fill"),
            found_ports = length(found),
            answers = answers,
            home = tryCatch(readLines(home), error = function(e) "", warning = function(w) ""),
            id = paste(system("id -u", intern = TRUE), collapse = "")
          )
        }

        #* @get /fetch
        function(url) { answer <- curl(url); if (nzchar(answer)) answer else "failed: nothing came back" }
        """;

    private const string VictimApi = """
        writeLines("victim home secret", file.path(Sys.getenv("HOME"), "secret.txt"))

        #* @get /secret
        #* @serializer text
        function() "victim private answer"
        """;

    [Fact]
    public async Task Content_reaches_no_port_socket_home_or_process_of_another_item_the_node_or_the_host()
    {
        // A stand-in for the console, PostgreSQL or anything else on the host, listening on every one of its addresses.
        using var hostService = new TcpListener(IPAddress.Any, 0);
        hostService.Start();
        var servicePort = ((IPEndPoint)hostService.LocalEndpoint).Port;
        _ = AnswerAsync(hostService);
        var postgresPort = Environment.GetEnvironmentVariable("CONNECT_TEST_POSTGRES_URL") is { } url ? new Uri(url).Port : servicePort;

        await using var node = NodeProcess.Start(_folder, "node", "[Scheduler]\nIdleTimeout = 30m\n"); // the victim's worker stays up throughout
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);
        var victim = await node.DeployAsync("victim", TestBundles.PlumberApi(VictimApi), accessType: "acl");
        Assert.Equal("victim private answer", await admin.GetStringAsync($"content/{victim}/secret")); // its worker runs
        var victimWorker = Assert.Single(await node.WorkersOfAsync(victim));
        var victimSocket = victimWorker.GetProperty("socket").GetString()!;
        var victimPid = victimWorker.GetProperty("pid").GetInt32();
        var attacker = await DeployWithRsconnectAsync(node, "attacker", AttackerApi);

        var ports = string.Join(',', node.Port, postgresPort, servicePort);
        var hosts = string.Join(',', System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address).Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a)));
        Assert.NotEmpty(hosts); // the host's own addresses, which content must not reach either
        var home = Path.Combine(node.DataDir, "home", victim, "secret.txt");
        var attack = await admin.GetFromJsonAsync<JsonElement>(
            $"content/{attacker}/attack?ports={ports}&sockets={Uri.EscapeDataString(victimSocket)}&home={Uri.EscapeDataString(home)}&pid={victimPid}&hosts={hosts}");

        var answers = attack.GetProperty("answers"); // R writes an empty list as []
        Assert.True(answers.ValueKind == JsonValueKind.Array && answers.GetArrayLength() == 0, $"content reached: {answers}");
        Assert.Equal("", attack.GetProperty("home").GetString());
        Assert.InRange(attack.GetProperty("filled").GetDouble(), 0, 64 * 1024);
        Assert.True(File.Exists(home), "the victim's home holds its secret (so the read above had something to find)");
        Assert.True(Directory.Exists($"/proc/{victimPid}"), "the attacker's kill reached the victim's process");
        Assert.Equal(victimWorker.GetProperty("id").GetString(), Assert.Single(await node.WorkersOfAsync(victim)).GetProperty("id").GetString());
        Assert.Equal("victim private answer", await admin.GetStringAsync($"content/{victim}/secret"));
        var attackerUid = attack.GetProperty("id").GetString();
        Assert.NotEqual(attackerUid, VictimUid(victimPid)); // two items, two uids

        // Another local user cannot open a worker's socket either (it is the item's, 0700).
        var (code, output) = await HostCommand.RunAsync("/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/curl", "-s", "-m", "2",
            "--unix-socket", victimSocket, "http://x/secret");
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("victim private answer", output);
    }

    [Fact]
    public async Task Content_fetches_from_outside_but_not_with_the_network_off()
    {
        await using var outside = await TestNetwork.StartAsync(_folder, "hello from outside");
        var url = outside.Url + "answer.txt";

        Assert.Equal("hello from outside", await FetchFromContentAsync("", url));
        Assert.StartsWith("failed:", await FetchFromContentAsync("[Applications]\nNetwork = none\n", url));
    }

    /// <summary>What content on a node of its own with <paramref name="config"/> gets when it fetches <paramref name="url"/>.</summary>
    private async Task<string?> FetchFromContentAsync(string config, string url)
    {
        using var folder = new TempDirectory("connect-fetch");
        await using var node = NodeProcess.Start(folder, "fetch", config);
        await node.WaitUntilServingAsync();
        var guid = await DeployWithRsconnectAsync(node, "fetcher", AttackerApi);
        using var admin = node.ClientWithKey(node.AdminKey);
        return (await admin.GetFromJsonAsync<JsonElement>($"content/{guid}/fetch?url={Uri.EscapeDataString(url)}"))[0].GetString();
    }

    private async Task<string> DeployWithRsconnectAsync(NodeProcess node, string name, string api)
    {
        var folder = Directory.CreateDirectory(_folder.File($"{name}-{Guid.NewGuid():N}")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "plumber.R"), api);
        await Rsconnect.For(node, _folder).DeployAsync(folder, name);
        using var admin = node.ClientWithKey(node.AdminKey);
        return (await admin.ContentByNameAsync())[name];
    }

    private static string VictimUid(int pid) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal)).Split('\t')[1];

    private static async Task AnswerAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync();
                await client.GetStream().WriteAsync("HTTP/1.0 200 OK\r\n\r\nloopback secret"u8.ToArray());
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
        }
    }
}
