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

        await using var node = NodeProcess.Start(_folder, "lonely", $"[Database]\nProvider = postgres\n[Postgres]\nURL = postgres://connect@127.0.0.1:{port}/connect\n");

        Assert.Equal(1, await node.WaitForExitAsync());
        Assert.Contains($"cannot use the database (PostgreSQL connect@127.0.0.1:{port}/connect)", node.Output);
    }
}
