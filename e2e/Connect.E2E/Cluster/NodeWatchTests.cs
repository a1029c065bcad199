using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Testing;
using Dapper;

namespace Connect.E2E.Cluster;

/// <summary>What a node notices about the cluster by itself: a newer schema, and its own clock's skew.</summary>
public sealed class NodeWatchTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-watch");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_running_node_stops_within_30s_when_the_schema_becomes_newer_than_it_knows()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var node = NodeProcess.Start(_folder, "old-binary", database.ConfigLines);
        await node.WaitUntilServingAsync();
        var newer = Migrations.Latest + 1;

        await using (var connection = await database.Database.OpenAsync())
        {
            await connection.ExecuteAsync("INSERT INTO schema_version (version, name, applied_at, applied_by) VALUES (@newer, 'from a newer binary', 0, 'new-binary')", new { newer });
        }

        var sawDraining = false;
        var stopped = Task.Run(() => node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        while (!stopped.IsCompleted)
        {
            try
            {
                sawDraining |= (await node.Http.GetAsync("__ping__")).StatusCode == HttpStatusCode.ServiceUnavailable;
            }
            catch (HttpRequestException)
            {
                // The node is gone.
            }

            await Task.WhenAny(stopped, Task.Delay(100));
        }

        var exitCode = await stopped;
        Assert.True(exitCode == 3, $"exit code {exitCode}:\n{node.Output}");
        Assert.True(sawDraining, "/__ping__ answered 503 before the node went");
        Assert.Contains($"the database schema is now version {newer}, newer than this binary knows ({Migrations.Latest})", node.Output);
    }

    [Fact]
    public async Task A_node_with_a_skewed_clock_is_shown_with_its_offset_and_warned_about()
    {
        await using var database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);
        await using var honest = NodeProcess.Start(_folder, "honest", database.ConfigLines);
        await honest.WaitUntilServingAsync();
        // Debian's faketime moves the clock this node's .NET sees 7 s ahead (timers keep the true monotonic clock).
        await using var skewed = NodeProcess.Start(_folder, "skewed", database.ConfigLines, new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
            ["FAKETIME"] = "+7s",
            ["DONT_FAKE_MONOTONIC"] = "1",
        });
        await skewed.WaitUntilServingAsync();
        using var admin = honest.ClientWithKey(honest.AdminKey);

        JsonElement skewedRow = default;
        await Wait.UntilAsync(async () =>
        {
            var nodes = await admin.GetFromJsonAsync<JsonElement>("__api__/v1/server/nodes");
            skewedRow = nodes.EnumerateArray().Single(n => n.GetProperty("name").GetString() == "skewed");
            return skewedRow.GetProperty("clock_skewed").GetBoolean();
        }, "the skewed node to be reported");

        Assert.InRange(skewedRow.GetProperty("clock_offset_ms").GetDouble(), 6000, 8000);
        var honestRow = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/server/nodes")).EnumerateArray()
            .Single(n => n.GetProperty("name").GetString() == "honest");
        Assert.False(honestRow.GetProperty("clock_skewed").GetBoolean());
        await skewed.WaitForOutputAsync("Clock skew: the clock of node skewed is");

        // Once it has stopped, its last offset is history: the cluster has no skewed clock left.
        skewed.Terminate();
        Assert.Equal(0, await skewed.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var stoppedRow = (await admin.GetFromJsonAsync<JsonElement>("__api__/v1/server/nodes")).EnumerateArray()
            .Single(n => n.GetProperty("name").GetString() == "skewed");
        Assert.Equal("stopped", stoppedRow.GetProperty("status").GetString());
        Assert.False(stoppedRow.GetProperty("clock_skewed").GetBoolean());
    }
}
