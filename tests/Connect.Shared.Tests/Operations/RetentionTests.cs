using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Scheduling;
using Connect.Shared.Tasks;
using Connect.Shared.Users;
using Connect.Testing;
using Dapper;

namespace Connect.Shared.Tests.Operations;

/// <summary>What is pruned of tasks, scheduled renders and bundles, and what never is.</summary>
public sealed class RetentionTests
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    private static async Task<(TestDatabase Test, ContentItem Content)> WithContentAsync(DatabaseProvider provider)
    {
        var test = await MigratedDatabase.CreateAsync(provider);
        await new NodeRegistry(test.Database, TimeProvider.System).RegisterAsync(new NodeIdentity("node-a", "http://a", "1", Migrations.Latest, "i"));
        var owner = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Publisher)).User!;
        return (test, (await new ContentRepository(test.Database).CreateAsync(owner.Id, "report", null)).Content!);
    }

    private static async Task ExecuteAsync(ConnectDatabase database, string sql, object? parameters = null)
    {
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(database.Sql(sql), parameters);
    }

    private static async Task<long> CountAsync(ConnectDatabase database, string sql, object? parameters = null)
    {
        await using var connection = await database.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(database.Sql(sql), parameters);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Finished_tasks_past_the_age_or_the_count_go_with_their_output_and_running_ones_stay(DatabaseProvider provider)
    {
        var (test, content) = await WithContentAsync(provider);
        await using var _ = test;
        var tasks = new TaskRepository(test.Database);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = await tasks.CreateAsync("deploy", "node-a", content.Id, null);
            await tasks.AppendAsync(id, [$"line of task {i}"]);
            // Oldest first, a second apart.
            await ExecuteAsync(test.Database, "UPDATE tasks SET created_at = created_at - @ago WHERE id = @id", new { id, ago = (5 - i) * 1000L });
            ids.Add(id);
        }

        foreach (var id in ids[..4])
        {
            await tasks.FinishAsync(id, 0, null);
        }

        // The newest finished one finished long ago: age takes it whatever its rank.
        await ExecuteAsync(test.Database, "UPDATE tasks SET finished_at = {{NOW}} - @old WHERE id = @id", new { id = ids[3], old = (long)(Month * 2).TotalMilliseconds });

        var deleted = await tasks.PruneAsync(Month, keepPerContent: 2);

        Assert.Equal(3, deleted);
        Assert.Null(await tasks.GetAsync(ids[0], 0));
        Assert.Null(await tasks.GetAsync(ids[1], 0));
        Assert.Null(await tasks.GetAsync(ids[3], 0));
        Assert.Equal(["line of task 2"], (await tasks.GetAsync(ids[2], 0))!.Output);
        Assert.False((await tasks.GetAsync(ids[4], 0))!.Finished);
        Assert.Equal(0, await CountAsync(test.Database, "SELECT COUNT(*) FROM task_output WHERE task_id IN (@a, @b, @c)", new { a = ids[0], b = ids[1], c = ids[3] }));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Finished_scheduled_renders_past_the_age_or_the_count_go_and_queued_or_running_ones_stay(DatabaseProvider provider)
    {
        var (test, content) = await WithContentAsync(provider);
        await using var _ = test;
        var old = (long)(Month * 2).TotalMilliseconds;
        foreach (var (status, finishedAgo, log) in new[] { ("succeeded", 3000L, "logs/a"), ("failed", 2000L, "logs/b"), ("succeeded", 1000L, "logs/c"), ("succeeded", old, "logs/d") })
        {
            await ExecuteAsync(test.Database, """
                INSERT INTO jobs (content_id, kind, status, due_at, finished_at, log_path, created_at)
                VALUES (@id, 'scheduled-render', @status, {{NOW}}, {{NOW}} - @finishedAgo, @log, {{NOW}})
                """, new { id = content.Id, status, finishedAgo, log });
        }

        await ExecuteAsync(test.Database, "INSERT INTO jobs (content_id, kind, status, due_at, created_at) VALUES (@Id, 'scheduled-render', 'queued', {{NOW}}, {{NOW}})", new { content.Id });
        await ExecuteAsync(test.Database, "INSERT INTO jobs (content_id, kind, status, due_at, log_path, created_at) VALUES (@Id, 'scheduled-render', 'running', {{NOW}}, 'logs/e', {{NOW}})", new { content.Id });

        var logs = await new JobRepository(test.Database).PruneAsync(Month, keepPerContent: 2);

        Assert.Equal(["logs/a", "logs/d"], logs.Order());
        Assert.Equal(2, await CountAsync(test.Database, "SELECT COUNT(*) FROM jobs WHERE status IN ('succeeded', 'failed')"));
        Assert.Equal(2, await CountAsync(test.Database, "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')"));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Old_bundles_past_the_limit_are_prunable_but_never_the_live_one_one_in_use_or_right_after_a_deploy(DatabaseProvider provider)
    {
        var (test, content) = await WithContentAsync(provider);
        await using var _ = test;
        var bundles = new BundleRepository(test.Database);
        var all = new List<Bundle>();
        for (var i = 1; i <= 5; i++)
        {
            all.Add(await bundles.AddAsync(content.Id, $"apps/{content.Id}/{i}", 1, AppModes.Static, "index.html", []));
        }

        // The fifth went live, then the second (a roll back): the fifth is retired from now.
        var contents = new ContentRepository(test.Database);
        await contents.ActivateBundleAsync(content.Id, all[4], null);
        await contents.ActivateBundleAsync(content.Id, all[1], null);
        var day = TimeSpan.FromDays(1);
        Assert.Empty(await bundles.PrunableAsync(2, day)); // all just uploaded: a deploy may be about to use one
        await ExecuteAsync(test.Database, "UPDATE bundles SET created_at = {{NOW}} - @ago", new { ago = (long)(day * 2).TotalMilliseconds });

        // Past the newest two, but never the live one.
        Assert.Equal([all[0].Id, all[2].Id], (await bundles.PrunableAsync(2, day)).Select(b => b.Id));

        // One live until a moment ago stays: a session on it may still be open somewhere.
        await contents.ActivateBundleAsync(content.Id, all[2], null);
        await contents.ActivateBundleAsync(content.Id, all[1], null);
        Assert.Equal([all[0].Id], (await bundles.PrunableAsync(2, day)).Select(b => b.Id));

        // A scheduled render queued for one keeps it; a deploy under way keeps them all.
        await ExecuteAsync(test.Database, "INSERT INTO jobs (content_id, bundle_id, kind, status, due_at, created_at) VALUES (@c, @b, 'scheduled-render', 'queued', {{NOW}}, {{NOW}})",
            new { c = content.Id, b = all[0].Id });
        Assert.Empty(await bundles.PrunableAsync(2, day));
        await ExecuteAsync(test.Database, "DELETE FROM jobs");
        Assert.Equal([all[0].Id], (await bundles.PrunableAsync(2, day)).Select(b => b.Id));
        await new TaskRepository(test.Database).CreateAsync("deploy", "node-a", content.Id, null);
        Assert.Empty(await bundles.PrunableAsync(2, day));
    }
}
