using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Tasks;
using Connect.Shared.Users;
using Dapper;

namespace Connect.Shared.Tests.Tasks;

/// <summary>A deploy's reported result is what goes live: held tasks, abandonment, and deploy order.</summary>
public sealed class HeldTaskTests
{
    private sealed record Setup(TaskRepository Tasks, ContentRepository Contents, ContentItem Content, Bundle First, Bundle Second);

    private static async Task<Setup> SetUpAsync(ConnectDatabase database)
    {
        await new NodeRegistry(database, TimeProvider.System).RegisterAsync(new NodeIdentity("node-a", "http://a", "1", Migrations.Latest, "process-1"));
        var owner = (await new UserRepository(database).AddAsync("olga", UserRole.Publisher)).User!;
        var contents = new ContentRepository(database);
        var content = (await contents.CreateAsync(owner.Id, "site", null)).Content!;
        var bundles = new BundleRepository(database);
        var first = await bundles.AddAsync(content.Id, "apps/1/1", 1, AppModes.Static, "index.html", []);
        var second = await bundles.AddAsync(content.Id, "apps/1/2", 1, AppModes.Static, "index.html", []);
        return new Setup(new TaskRepository(database), contents, content, first, second);
    }

    private static Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, Task<string?>> Activate(Setup s, Bundle bundle, HeldTask task) =>
        async (connection, transaction) => await s.Contents.ActivateBundleAsync(connection, transaction, s.Content.Id, bundle, null, task.Seq) ? null : "a later deploy is live";

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task An_older_deploy_that_finishes_last_does_not_replace_the_newer_one(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var s = await SetUpAsync(test.Database);
        var older = await s.Tasks.CreateHeldAsync("deploy", "node-a", "process-1", s.Content.Id, null);
        var newer = await s.Tasks.CreateHeldAsync("deploy", "node-a", "process-1", s.Content.Id, null);

        var newerOutcome = await s.Tasks.CompleteAsync(newer, "live", Activate(s, s.Second, newer));
        var olderOutcome = await s.Tasks.CompleteAsync(older, "live", Activate(s, s.First, older));

        Assert.True(older.Seq < newer.Seq);
        Assert.Equal((CompletionOutcome.Applied, CompletionOutcome.Refused), (newerOutcome, olderOutcome));
        Assert.Equal(s.Second.Id, (await s.Contents.GetAsync(s.Content.Id))!.ActiveBundleId);
        var olderTask = (await s.Tasks.GetAsync(older.Id))!;
        Assert.Equal((true, 1), (olderTask.Finished, olderTask.Code));
        Assert.Contains("later deploy is live", olderTask.Error);
        Assert.Contains(olderTask.Output, line => line.Contains("Deploy failed"));
        Assert.Equal("live", (await s.Tasks.GetAsync(newer.Id))!.Output[^1]);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_task_whose_holder_stopped_heartbeating_is_failed_once_and_can_no_longer_go_live(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var s = await SetUpAsync(test.Database);
        var task = await s.Tasks.CreateHeldAsync("deploy", "node-a", "process-1", s.Content.Id, null);
        Assert.True(await s.Tasks.HeartbeatAsync(task));

        // The holder froze: its last heartbeat is older than the abandon limit (the node itself still looks alive).
        await using (var connection = await test.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE tasks SET heartbeat_at = heartbeat_at - 60000 WHERE id = @Id", task);
        }

        var polled = (await s.Tasks.GetAsync(task.Id))!;
        var outcome = await s.Tasks.CompleteAsync(task, "live", Activate(s, s.First, task));
        var beat = await s.Tasks.HeartbeatAsync(task);

        Assert.Equal((true, 1), (polled.Finished, polled.Code));
        Assert.Contains("stopped reporting", polled.Error);
        Assert.Equal(CompletionOutcome.ClaimLost, outcome);
        Assert.False(beat);
        Assert.Null((await s.Contents.GetAsync(s.Content.Id))!.ActiveBundleId);
        Assert.Single((await s.Tasks.GetAsync(task.Id))!.Output, line => line.Contains("Deploy failed")); // failed once
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_restarted_node_fails_only_what_its_earlier_process_left(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var s = await SetUpAsync(test.Database);
        var earlier = await s.Tasks.CreateHeldAsync("deploy", "node-a", "process-1", s.Content.Id, null);
        var current = await s.Tasks.CreateHeldAsync("deploy", "node-a", "process-2", s.Content.Id, null);

        var failed = await s.Tasks.FailUnfinishedAsync("node-a", "process-2");

        Assert.Equal(1, failed);
        Assert.True((await s.Tasks.GetAsync(earlier.Id))!.Finished);
        Assert.False((await s.Tasks.GetAsync(current.Id))!.Finished);
        Assert.Equal(CompletionOutcome.ClaimLost, await s.Tasks.CompleteAsync(earlier, "live", Activate(s, s.First, earlier)));
    }
}
