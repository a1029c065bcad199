using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Shared.Configuration;
using Connect.Testing;
using Dapper;

namespace Connect.E2E.Operations;

/// <summary>A single node on SQLite, published to with rsconnect, moved to PostgreSQL with one command.</summary>
public sealed class DatabaseMoveTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-move");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Users_keys_content_schedules_and_run_history_move_to_postgres_and_keep_working()
    {
        await using var sqlite = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await using var postgres = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        // The target is named in [Postgres] while the node still runs on SQLite, as an administrator would prepare it.
        var postgresSection = postgres.ConfigLines[postgres.ConfigLines.IndexOf("[Postgres]", StringComparison.Ordinal)..];
        // Disposed however the test ends: a failed assertion must not leave the node running.
        await using var node = NodeProcess.Start(_folder, "node-a", sqlite.ConfigLines + postgresSection);
        await node.WaitUntilServingAsync();

        Assert.Equal(0, (await node.RunCommandAsync("users", "add", "vic", "--role", "viewer")).ExitCode);
        var vicKey = await node.CreateKeyAsync("vic");
        var site = Directory.CreateDirectory(_folder.File("site")).FullName;
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<h1>Before the move</h1>");
        var report = Directory.CreateDirectory(_folder.File("report")).FullName;
        await File.WriteAllTextAsync(Path.Combine(report, "report.Rmd"), "---\ntitle: \"Moved\"\noutput: html_document\n---\n\nRendered at `r format(Sys.time(), '%H:%M:%OS3')`.\n");
        await Rsconnect.For(node, _folder).DeployAsync(site, "site");
        await Rsconnect.For(node, _folder).DeployAsync(report, "report", "report.Rmd");
        Dictionary<string, string> before;
        using (var admin = node.ClientWithKey(node.AdminKey))
        {
            before = await admin.ContentByNameAsync();
            await node.SetAccessTypeAsync(before["report"], "logged_in");
            await admin.ScheduleNowAsync(before["report"]);
            await Wait.UntilAsync(async () => (await admin.JobsAsync(before["report"])).Any(j => j.GetProperty("state").GetString() == "succeeded"),
                "the scheduled render on SQLite", TimeSpan.FromMinutes(2));
        }

        // Refused while the node runs, naming it.
        var (refusedCode, refused) = await node.RunCommandAsync("migrate-database", "--to", "postgres");
        Assert.Equal(1, refusedCode);
        Assert.Contains("node(s) node-a are running against SQLite", refused);

        node.Terminate();
        Assert.Equal(0, await node.WaitForExitAsync());

        // A dry run shows the plan and changes nothing.
        var (dryCode, dry) = await node.RunCommandAsync("migrate-database", "--to", "postgres", "--dry-run");
        Assert.True(dryCode == 0, dry);
        Assert.Contains("users", dry);
        Assert.Contains("dry run", dry);
        await using (var connection = await postgres.Database.OpenAsync())
        {
            Assert.False(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('schema_version') IS NOT NULL"));
        }

        var (code, output) = await node.RunCommandAsync("migrate-database", "--to", "postgres");
        Assert.True(code == 0, output);
        Assert.Contains("checksum", output);
        Assert.Contains("matches", output);

        // Once there is data, a second move is refused rather than mixing two servers' rows.
        var (againCode, again) = await node.RunCommandAsync("migrate-database", "--to", "postgres");
        Assert.Equal(1, againCode);
        Assert.Contains("already holds data", again);

        // The same node on PostgreSQL: everything is there and works.
        await using var moved = NodeProcess.Start(_folder, "node-a", postgres.ConfigLines);
        await moved.WaitUntilServingAsync();
        Assert.Contains("PostgreSQL", moved.Output);
        using var movedAdmin = moved.ClientWithKey(moved.AdminKey);
        Assert.Equal(before, await movedAdmin.ContentByNameAsync());
        Assert.Contains("Before the move", await movedAdmin.GetStringAsync($"content/{before["site"]}/"));
        using (var vic = moved.ClientWithKey(vicKey))
        {
            Assert.Equal(HttpStatusCode.OK, (await vic.GetAsync($"content/{before["report"]}/")).StatusCode);
        }

        Assert.Contains("vic", (await moved.RunCommandAsync("users", "list")).Output);
        var history = await movedAdmin.JobsAsync(before["report"]);
        Assert.Contains(history, j => j.GetProperty("state").GetString() == "succeeded");

        // rsconnect redeploys onto the same item (its record holds the item's id), and schedules run on PostgreSQL.
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<h1>After the move</h1>");
        await new Rsconnect(moved.BaseUrl.ToString().TrimEnd('/') + "/__api__", moved.AdminKey, _folder.File("r-home-moved")).DeployAsync(site, "site");
        Assert.Equal(before, await movedAdmin.ContentByNameAsync());
        Assert.Contains("After the move", await movedAdmin.GetStringAsync($"content/{before["site"]}/"));
        await movedAdmin.ScheduleNowAsync(before["report"]);
        await Wait.UntilAsync(async () => (await movedAdmin.JobsAsync(before["report"])).Count(j => j.GetProperty("state").GetString() == "succeeded") > history.Count(j => j.GetProperty("state").GetString() == "succeeded"),
            "a scheduled render on PostgreSQL", TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task The_way_back_to_sqlite_is_refused_with_the_reason()
    {
        await using var node = NodeProcess.Start(_folder, "node-a", "");
        await node.WaitUntilServingAsync();

        var (code, output) = await node.RunCommandAsync("migrate-database", "--to", "sqlite");

        Assert.Equal(1, code);
        Assert.Contains("moving from PostgreSQL back to SQLite is not supported", output);
    }
}
