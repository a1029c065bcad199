using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Content;
using Connect.Shared.Tasks;
using Connect.Shared.Users;
using Dapper;

namespace Connect.Shared.Tests.Tasks;

public sealed class TaskRepositoryTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Output_is_read_from_any_line_on_and_the_result_is_kept(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var tasks = new TaskRepository(test.Database);
        await new NodeRegistry(test.Database, TimeProvider.System).RegisterAsync(new NodeIdentity("node-a", "http://a", "1", Migrations.Latest, "i"));
        var id = await tasks.CreateAsync("deploy", "node-a", null, null);

        await tasks.AppendAsync(id, ["one", "two"]);
        await tasks.AppendAsync(id, ["three"]);
        var running = await tasks.GetAsync(id, first: 1);
        await tasks.FinishAsync(id, 0, null);
        var finished = await tasks.GetAsync(id, first: 3);

        Assert.Equal(["two", "three"], running!.Output);
        Assert.Equal((1, 3, false), (running.First, running.Last, running.Finished));
        Assert.Empty(finished!.Output);
        Assert.Equal((3, true, 0), (finished.Last, finished.Finished, finished.Code));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_content_items_tasks_are_listed_newest_first_and_only_its_own(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var tasks = new TaskRepository(test.Database);
        await new NodeRegistry(test.Database, TimeProvider.System).RegisterAsync(new NodeIdentity("node-a", "http://a", "1", Migrations.Latest, "i"));
        var owner = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Publisher)).User!;
        var contents = new ContentRepository(test.Database);
        var mine = (await contents.CreateAsync(owner.Id, "mine", null)).Content!;
        var other = (await contents.CreateAsync(owner.Id, "other", null)).Content!;
        var first = await tasks.CreateAsync("deploy", "node-a", mine.Id, owner.Id);
        await tasks.FinishAsync(first, 1, "R failed");
        await using (var connection = await test.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE tasks SET created_at = created_at - 1000 WHERE id = @first", new { first });
        }

        var second = await tasks.CreateAsync("deploy", "node-a", mine.Id, owner.Id);
        await tasks.CreateAsync("deploy", "node-a", other.Id, owner.Id);

        var listed = await tasks.ListForContentAsync(mine.Id, 10);

        Assert.Equal([second, first], listed.Select(t => t.Id));
        Assert.Equal((false, (int?)null), (listed[0].Finished, listed[0].Code));
        Assert.Equal((true, (int?)1, "R failed"), (listed[1].Finished, listed[1].Code, listed[1].Error));
        Assert.Single(await tasks.ListForContentAsync(mine.Id, 1));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_task_whose_node_went_missing_is_reported_failed(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var tasks = new TaskRepository(test.Database);
        await new NodeRegistry(test.Database, TimeProvider.System).RegisterAsync(new NodeIdentity("node-a", "http://a", "1", Migrations.Latest, "i"));
        var id = await tasks.CreateAsync("deploy", "node-a", null, null);
        await using (var connection = await test.Database.OpenAsync())
        {
            await connection.ExecuteAsync(test.Database.Sql("UPDATE nodes SET heartbeat_at = {{NOW}} - 600000"));
        }

        // An asker just back from a database outage does not hold the stale heartbeat against it.
        Assert.False((await tasks.GetAsync(id, judgeAbandonment: false))!.Finished);

        var task = await tasks.GetAsync(id);

        Assert.True(task!.Finished);
        Assert.Equal(1, task.Code);
        Assert.Contains("node node-a stopped before finishing this task", task.Error);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_restarting_node_fails_what_it_left_unfinished(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var tasks = new TaskRepository(test.Database);
        var mine = await tasks.CreateAsync("deploy", "node-a", null, null);
        var other = await tasks.CreateAsync("deploy", "node-b", null, null);

        Assert.Equal(1, await tasks.FailUnfinishedAsync("node-a"));

        Assert.Contains("restarted", (await tasks.GetAsync(mine))!.Error);
        Assert.False((await tasks.GetAsync(other))!.Finished);
    }
}
