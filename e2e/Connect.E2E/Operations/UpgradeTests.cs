using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Users;
using Connect.Testing;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.E2E.Operations;

/// <summary>The README's upgrade and downgrade procedures, step by step, against real nodes on PostgreSQL.</summary>
public sealed class UpgradeTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-upgrade");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Upgrading_the_first_node_migrates_the_schema_and_keeps_the_data_and_the_rest_join_it()
    {
        // A cluster's database as the previous release left it: one schema version behind, with data in it.
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        var previous = Migrations.All.Where(m => m.Version < Migrations.Latest).ToList();
        await new SchemaMigrator(database.Database, NullLogger<SchemaMigrator>.Instance).MigrateAsync("previous release", previous, CancellationToken.None);
        var kim = (await new UserRepository(database.Database).AddAsync("kim", UserRole.Publisher)).User!;
        // The item is written as the previous release wrote it (today's repository reads columns that release lacked).
        var itemGuid = Guid.NewGuid().ToString();
        await using (var connection = await database.Database.OpenAsync())
        {
            await connection.ExecuteAsync(database.Database.Sql("""
                INSERT INTO content (guid, name, title, owner_id, created_at, updated_at) VALUES (@itemGuid, 'kept-through-the-upgrade', 'Kept', @owner, {{NOW}}, {{NOW}})
                """), new { itemGuid, owner = kim.Id });
        }

        var kimKey = await new ApiKeyRepository(database.Database).CreateAsync(kim.Id, "laptop");

        // Step 2: upgrade one node (all were stopped). It migrates the schema, then serves.
        await using var a = NodeProcess.Start(_folder, "node-a", database.ConfigLines);
        await a.WaitUntilServingAsync();
        Assert.Contains($"migrated schema from version {Migrations.Latest - 1} to {Migrations.Latest}", a.Output);
        using var admin = a.ClientWithKey(kimKey);
        var listed = await admin.GetFromJsonAsync<JsonElement>($"__api__/v1/content/{itemGuid}");
        Assert.Equal("Kept", listed.GetProperty("title").GetString());

        // Step 3: the remaining nodes find the schema current and join.
        await using var b = NodeProcess.Start(_folder, "node-b", database.ConfigLines);
        await b.WaitUntilServingAsync();
        Assert.DoesNotContain("migrated schema", b.Output);
        using var adminB = b.ClientWithKey(kimKey);
        Assert.Equal(HttpStatusCode.OK, (await adminB.GetAsync($"__api__/v1/content/{itemGuid}")).StatusCode);
        Assert.Equal(Migrations.Latest, await new SchemaState(database.Database).ReadDatabaseVersionAsync());
    }

    [Fact]
    public async Task A_cluster_goes_back_to_one_node_with_the_data_copied_off_the_share_and_postgres_kept()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        // The share is the cluster's Server.DataDir ({folder}/data for both nodes).
        var share = _folder.File("data");
        string site, key;
        await using (var a = NodeProcess.Start(_folder, "node-a", database.ConfigLines))
        await using (var b = NodeProcess.Start(_folder, "node-b", database.ConfigLines))
        {
            await a.WaitUntilServingAsync();
            await b.WaitUntilServingAsync();
            key = a.AdminKey;
            site = await a.DeployAsync("site", TestBundles.StaticSite("<p>from the cluster</p>"));
            Assert.Contains("from the cluster", await b.Http.GetStringAsync($"content/{site}/"));

            // Step 1: stop every node.
            a.Terminate();
            b.Terminate();
            Assert.Equal(0, await a.WaitForExitAsync());
            Assert.Equal(0, await b.WaitForExitAsync());
        }

        // Step 3: copy the shared data to the node, and point Server.DataDir and Metrics.DataPath there.
        using var node = new TempDirectory("connect-downgraded");
        var local = node.File("data");
        FolderCopy.Copy(share, local);
        File.Copy(_folder.File("connect.key"), node.File("connect.key")); // and the cluster's secret key file
        await using var single = NodeProcess.Start(node, "node-a", $"{database.ConfigLines}[Metrics]\nDataPath = {node.File("metrics")}\n");
        await single.WaitUntilServingAsync();

        Assert.Contains("from the cluster", await single.Http.GetStringAsync($"content/{site}/"));
        await single.RedeployAsync(site, TestBundles.StaticSite("<p>on one node</p>"));
        Assert.Contains("on one node", await single.Http.GetStringAsync($"content/{site}/"));
        using var admin = single.ClientWithKey(key);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("__api__/v1/content")).StatusCode);
        // The new bundle went to the node's own copy, not the share.
        Assert.True(Directory.GetDirectories(Path.Combine(local, "apps"), "*", SearchOption.AllDirectories).Length
            > Directory.GetDirectories(Path.Combine(share, "apps"), "*", SearchOption.AllDirectories).Length);
    }

}
