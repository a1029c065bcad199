using System.Net;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Testing;
using Dapper;

namespace Connect.Runtime.Tests.Hosting;

public sealed class NodeStartupTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Without_a_config_file_a_node_runs_on_sqlite_in_data_and_answers_ping()
    {
        var port = FreePort.Next();
        // No file: only the port is moved off the default so tests can run side by side.
        await using var node = new DotnetProcess(RepositoryPaths.ConnectDll, ["run"], _folder.Path,
            new Dictionary<string, string> { ["CONNECT_HTTP_LISTEN"] = $"127.0.0.1:{port}" });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

        await Wait.UntilAsync(async () => (await http.GetAsync("__ping__")).StatusCode == HttpStatusCode.OK, "the node to answer /__ping__");

        var ping = await http.GetAsync("__ping__");
        Assert.Equal("{}", await ping.Content.ReadAsStringAsync());
        Assert.Equal("application/json", ping.Content.Headers.ContentType?.MediaType);
        var databaseFile = Path.Combine(_folder.Path, "data", "db", "connect.db");
        Assert.True(File.Exists(databaseFile), $"{databaseFile} should exist");

        node.Terminate();
        Assert.Equal(0, await node.WaitForExitAsync());
        Assert.Contains("deregistered", node.Output);
        await using var database = new SqliteDatabase(databaseFile);
        await using var connection = await database.OpenAsync();
        Assert.NotNull(await connection.ExecuteScalarAsync<long?>("SELECT stopped_at FROM nodes"));
    }

    [Fact]
    public async Task Two_nodes_starting_together_on_an_empty_postgres_migrate_once_and_both_register()
    {
        await using var postgres = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);

        await using var a = NodeProcess.Start(_folder, "node-a", postgres.ConfigLines);
        await using var b = NodeProcess.Start(_folder, "node-b", postgres.ConfigLines);
        await Task.WhenAll(a.WaitUntilServingAsync(), b.WaitUntilServingAsync());

        await using var connection = await postgres.Database.OpenAsync();
        var applied = (await connection.QueryAsync<(int Version, string AppliedBy)>("SELECT version, applied_by FROM schema_version")).ToList();
        Assert.Equal(Enumerable.Range(1, Migrations.Latest), applied.Select(r => r.Version).Order());
        var migrator = Assert.Single(applied.Select(r => r.AppliedBy).Distinct());
        Assert.Contains(migrator, new[] { "node-a", "node-b" });
        Assert.Single(new[] { a, b }, n => n.Output.Contains("Applying schema migration 1"));
        Assert.Equal(["node-a", "node-b"], await connection.QueryAsync<string>("SELECT name FROM nodes WHERE stopped_at IS NULL ORDER BY name"));
    }

    [Fact]
    public async Task A_node_refuses_a_database_whose_schema_is_newer_than_it_knows()
    {
        await using var postgres = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        var newer = Migrations.Latest + 5;
        await using (var first = NodeProcess.Start(_folder, "first", postgres.ConfigLines, verb: "migrate"))
        {
            Assert.Equal(0, await first.WaitForExitAsync());
        }

        await using (var connection = await postgres.Database.OpenAsync())
        {
            await connection.ExecuteAsync("INSERT INTO schema_version (version, name, applied_at, applied_by) VALUES (@newer, 'future', 0, 'newer-binary')", new { newer });
        }

        await using var node = NodeProcess.Start(_folder, "old", postgres.ConfigLines);

        Assert.Equal(3, await node.WaitForExitAsync());
        Assert.Contains($"the database schema is version {newer} but this binary knows only up to version {Migrations.Latest}", node.Output);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_stops_the_node_with_its_address()
    {
        var port = FreePort.Next();

        await using var node = NodeProcess.Start(_folder, "lonely", $"[Database]\nProvider = postgres\nWaitAtStart = 2s\n[Postgres]\nURL = postgres://connect@127.0.0.1:{port}/connect\n");

        Assert.Equal(1, await node.WaitForExitAsync());
        Assert.Contains("Waiting for the database", node.Output); // it waited (Database.WaitAtStart) before giving up
        Assert.Contains($"cannot use the database (PostgreSQL connect@127.0.0.1:{port}/connect)", node.Output);
    }

    [Fact]
    public async Task A_port_in_use_stops_the_node_before_it_changes_anything()
    {
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        await using var node = new DotnetProcess(RepositoryPaths.ConnectDll, ["run"], _folder.Path,
            new Dictionary<string, string> { ["CONNECT_HTTP_LISTEN"] = $"127.0.0.1:{port}" });

        Assert.Equal(1, await node.WaitForExitAsync());
        Assert.Contains($"port {port} (HTTP.Listen = 127.0.0.1:{port}) is already in use", node.Output);
        Assert.DoesNotContain("   at ", node.Output); // a sentence, not a stack trace
        Assert.False(Directory.Exists(_folder.File("data")), "nothing may be created before the port is known to be free");
    }

    [Fact]
    public async Task An_empty_database_beside_an_earlier_servers_files_is_refused_and_its_admin_key_kept()
    {
        await using (var first = NodeProcess.Start(_folder, "node", ""))
        {
            await first.WaitUntilServingAsync();
            first.Terminate();
            await first.WaitForExitAsync();
        }

        var keyFile = _folder.File("data/admin-api-key");
        var key = await File.ReadAllTextAsync(keyFile);
        // What a full disk at the wrong moment leaves: a zero-byte database file.
        foreach (var file in Directory.GetFiles(_folder.File("data/db")))
        {
            File.Delete(file);
        }

        await File.WriteAllBytesAsync(_folder.File("data/db/connect.db"), []);

        await using var second = NodeProcess.Start(_folder, "node", "");
        Assert.Equal(1, await second.WaitForExitAsync());
        Assert.Contains("is empty, but the data directory", second.Output);
        Assert.Contains("admin-api-key", second.Output);
        Assert.Equal(key, await File.ReadAllTextAsync(keyFile));
    }

    [Fact]
    public async Task A_second_process_with_a_live_nodes_name_is_refused_and_the_first_keeps_serving()
    {
        await using var first = NodeProcess.Start(_folder, "twin", "");
        await first.WaitUntilServingAsync();

        await using var second = NodeProcess.Start(_folder, "twin", "");

        Assert.Equal(1, await second.WaitForExitAsync());
        Assert.Contains("another process is running as node 'twin'", second.Output);
        Assert.Equal(HttpStatusCode.OK, (await first.Http.GetAsync("__ping__")).StatusCode);
    }
}

public sealed class NodeRestartTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_node_killed_mid_upload_removes_its_own_leftovers_when_it_starts_again_and_leaves_other_nodes_alone()
    {
        await using (var first = NodeProcess.Start(_folder, "node", ""))
        {
            await first.WaitUntilServingAsync();
            await first.DeployAsync("site", TestBundles.StaticSite("kept"));
            first.KillAlone();
            await first.WaitForExitAsync();
        }

        // What an upload cut short leaves: a staging archive and a partial extraction, named for its node.
        var data = _folder.File("data");
        var contentFolder = Directory.GetDirectories(Path.Combine(data, "bundles")).Single();
        var appsFolder = Directory.GetDirectories(Path.Combine(data, "apps")).Single();
        var own = Prefix("node");
        var other = Prefix("other-node");
        File.WriteAllText(Path.Combine(contentFolder, own + "abc.tar.gz"), "partial");
        Directory.CreateDirectory(Path.Combine(appsFolder, own + "abc", "www"));
        File.WriteAllText(Path.Combine(contentFolder, other + "def.tar.gz"), "in progress elsewhere");

        await using var second = NodeProcess.Start(_folder, "node", "");
        await second.WaitUntilServingAsync();

        Assert.False(File.Exists(Path.Combine(contentFolder, own + "abc.tar.gz")));
        Assert.False(Directory.Exists(Path.Combine(appsFolder, own + "abc")));
        Assert.True(File.Exists(Path.Combine(contentFolder, other + "def.tar.gz")));
        Assert.Contains("Removed 2 unfinished upload(s)", second.Output);
        Assert.Single(Directory.GetDirectories(appsFolder)); // the deployed bundle is untouched
    }

    private static string Prefix(string node) =>
        $"upload-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(node)))[..12]}-";
}

public sealed class AccessLogTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Requests_are_logged_one_line_each_only_when_asked_and_never_with_their_query(bool enabled)
    {
        await using var node = NodeProcess.Start(_folder, "node", $"[HTTP]\nAccessLog = {enabled.ToString().ToLowerInvariant()}\n[Node]\nDrainPeriod = 0s\n");
        await node.WaitUntilServingAsync();

        await node.Http.GetAsync("content/00000000-0000-0000-0000-000000000000/?token=s3cret");
        await node.Http.GetAsync("__ping__?marker=1");
        node.Terminate();
        Assert.Equal(0, await node.WaitForExitAsync()); // every log line is written by the time it has exited

        Assert.Equal(enabled, node.Output.Contains("GET /__ping__ 200", StringComparison.Ordinal));
        Assert.Equal(enabled, node.Output.Contains("GET /content/00000000-0000-0000-0000-000000000000/ 401", StringComparison.Ordinal));
        Assert.DoesNotContain("s3cret", node.Output);
    }
}
