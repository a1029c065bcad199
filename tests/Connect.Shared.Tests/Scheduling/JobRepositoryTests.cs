using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Scheduling;
using Connect.Shared.Users;
using Connect.Testing;
using Dapper;

namespace Connect.Shared.Tests.Scheduling;

public sealed class JobRepositoryTests
{
    private static async Task<(TestDatabase Test, ContentItem Content, Bundle Bundle)> WithDocumentAsync(DatabaseProvider provider)
    {
        var test = await MigratedDatabase.CreateAsync(provider);
        var owner = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Publisher)).User!;
        var contents = new ContentRepository(test.Database);
        var content = (await contents.CreateAsync(owner.Id, "report", null)).Content!;
        var bundle = await new BundleRepository(test.Database).AddAsync(content.Id, "apps/1/1", 1, AppModes.RmdStatic, "r.Rmd", []);
        await contents.ActivateBundleAsync(content.Id, bundle, "output/first");
        return (test, content, bundle);
    }

    private static async Task<int> DueScheduleAsync(ConnectDatabase database, long contentId, int count)
    {
        var schedules = new ScheduleRepository(database);
        var (every, _) = ScheduleExpression.Parse("every 1h", "UTC");
        var now = await schedules.DatabaseNowAsync();
        for (var i = 0; i < count; i++)
        {
            await schedules.CreateAsync(contentId, every!, now - TimeSpan.FromSeconds(1));
        }

        return count;
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Nodes_queueing_at_once_queue_each_due_run_once_and_move_the_schedule_on(DatabaseProvider provider)
    {
        var (test, content, _) = await WithDocumentAsync(provider);
        await using var _ = test;
        await DueScheduleAsync(test.Database, content.Id, 5);
        var schedules = new ScheduleRepository(test.Database);

        var queued = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => schedules.QueueDueRunsAsync()));

        Assert.Equal(5, queued.Sum());
        await using var connection = await test.Database.OpenAsync();
        Assert.Equal(5, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE status = 'queued'"));
        var now = await schedules.DatabaseNowAsync();
        Assert.All(await schedules.ListAsync(content.Id), s => Assert.InRange(s.NextRunAt - now, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Each_due_job_is_claimed_by_exactly_one_of_many_claimants(DatabaseProvider provider)
    {
        var (test, content, _) = await WithDocumentAsync(provider);
        await using var _ = test;
        await DueScheduleAsync(test.Database, content.Id, 6);
        await new ScheduleRepository(test.Database).QueueDueRunsAsync();
        var jobs = new JobRepository(test.Database);

        var claims = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => jobs.ClaimAsync($"node-{i % 3}", TimeSpan.FromMinutes(1))));

        var claimed = claims.Where(c => c is not null).Select(c => c!).ToList();
        Assert.Equal(6, claimed.Count);
        Assert.Equal(6, claimed.Select(c => c.Id).Distinct().Count());
        Assert.All(claimed, c => Assert.Equal(1, c.Token));
        Assert.Null(await jobs.ClaimAsync("late", TimeSpan.FromMinutes(1)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task The_cluster_list_has_queued_and_running_jobs_and_the_newest_failures_but_no_successes(DatabaseProvider provider)
    {
        var (test, content, bundle) = await WithDocumentAsync(provider);
        await using var _ = test;
        await DueScheduleAsync(test.Database, content.Id, 5);
        await new ScheduleRepository(test.Database).QueueDueRunsAsync();
        var jobs = new JobRepository(test.Database);
        var failedOld = (await jobs.ClaimAsync("node-a", TimeSpan.FromMinutes(1)))!;
        var failedNew = (await jobs.ClaimAsync("node-a", TimeSpan.FromMinutes(1)))!;
        var succeeded = (await jobs.ClaimAsync("node-b", TimeSpan.FromMinutes(1)))!;
        var running = (await jobs.ClaimAsync("node-b", TimeSpan.FromMinutes(1)))!;
        await jobs.FinishAsync(failedOld, bundle.Id, 1, "first failure", null, null);
        await jobs.FinishAsync(failedNew, bundle.Id, 1, "second failure", null, null);
        await jobs.FinishAsync(succeeded, bundle.Id, 0, null, null, "output/x");

        var listed = await jobs.ListOpenAndFailedAsync(failed: 1);

        Assert.Equal(["running", "queued", "failed"], listed.Select(j => j.Job.Status));
        Assert.Equal(("node-b", running.Id, running.Token), (listed[0].Job.Node, listed[0].Job.Id, listed[0].Job.ClaimToken));
        Assert.Equal("second failure", listed[2].Job.Error);
        Assert.All(listed, j => Assert.Equal((content.Guid, "report"), (j.ContentGuid, j.ContentName)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task An_abandoned_job_is_claimed_again_and_the_old_claim_can_neither_heartbeat_nor_publish(DatabaseProvider provider)
    {
        var (test, content, bundle) = await WithDocumentAsync(provider);
        await using var _ = test;
        await DueScheduleAsync(test.Database, content.Id, 1);
        await new ScheduleRepository(test.Database).QueueDueRunsAsync();
        var jobs = new JobRepository(test.Database);
        var first = (await jobs.ClaimAsync("node-a", TimeSpan.FromSeconds(5)))!;
        Assert.Null(await jobs.ClaimAsync("node-b", TimeSpan.FromSeconds(5)));

        // node-a goes silent: its heartbeat ages past the abandon timeout.
        await using (var connection = await test.Database.OpenAsync())
        {
            await connection.ExecuteAsync(test.Database.Sql("UPDATE jobs SET heartbeat_at = {{NOW}} - 60000"));
        }

        var second = await jobs.ClaimAsync("node-b", TimeSpan.FromSeconds(5));

        Assert.NotNull(second);
        Assert.Equal((first.Id, 2L), (second.Id, second.Token));
        Assert.False(await jobs.HeartbeatAsync(first));
        Assert.False(await jobs.FinishAsync(first, bundle.Id, 0, null, "log-a", "output/from-a"));
        Assert.True(await jobs.HeartbeatAsync(second));
        Assert.True(await jobs.FinishAsync(second, bundle.Id, 0, null, "log-b", "output/from-b"));
        var record = (await jobs.GetAsync(first.Id))!;
        Assert.Equal(("succeeded", "node-b", 2L), (record.Status, record.Node, record.ClaimToken));
        Assert.Equal("output/from-b", (await new ContentRepository(test.Database).GetAsync(content.Id))!.OutputPath);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_render_of_a_bundle_that_is_no_longer_active_is_recorded_but_not_published(DatabaseProvider provider)
    {
        var (test, content, bundle) = await WithDocumentAsync(provider);
        await using var _ = test;
        await DueScheduleAsync(test.Database, content.Id, 1);
        await new ScheduleRepository(test.Database).QueueDueRunsAsync();
        var jobs = new JobRepository(test.Database);
        var job = (await jobs.ClaimAsync("node-a", TimeSpan.FromMinutes(1)))!;
        var contents = new ContentRepository(test.Database);
        var newer = await new BundleRepository(test.Database).AddAsync(content.Id, "apps/1/2", 1, AppModes.RmdStatic, "r.Rmd", []);
        await contents.ActivateBundleAsync(content.Id, newer, "output/newer");

        Assert.True(await jobs.FinishAsync(job, bundle.Id, 0, null, "log", "output/stale"));

        Assert.Equal("output/newer", (await contents.GetAsync(content.Id))!.OutputPath);
    }

    [Fact]
    public void Schedule_expressions_parse_and_compute_their_next_run()
    {
        var anchor = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var (every, _) = ScheduleExpression.Parse("every 15m", null);
        var (cron, _) = ScheduleExpression.Parse("cron 30 6 * * *", "Europe/Berlin");

        Assert.Equal(anchor.AddMinutes(45), every!.NextAfter(anchor.AddMinutes(31), anchor));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 5, 30, 0, TimeSpan.Zero), cron!.NextAfter(anchor, anchor));
        Assert.Contains("neither", ScheduleExpression.Parse("daily", null).Error);
        Assert.Contains("not a known time zone", ScheduleExpression.Parse("every 1h", "Mars/Olympus").Error);
        Assert.Contains("not a cron expression", ScheduleExpression.Parse("cron 99 * * * *", null).Error);
    }
}
