using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Operations;
using Connect.Shared.Scheduling;
using Connect.Shared.Tasks;
using Connect.Shared.Users;
using Dapper;

namespace Connect.Shared.Tests.Operations;

public sealed class MaintenancePauseTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task One_pause_at_a_time_and_a_lapsed_one_is_taken_over(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var pause = new MaintenancePause(test.Database);

        Assert.Null(await pause.BeginAsync("backup one", "nightly"));
        Assert.Equal("backup one", (await pause.BeginAsync("backup two", "manual"))?.Holder);
        Assert.True(await pause.HeartbeatAsync("backup one"));
        Assert.False(await pause.HeartbeatAsync("backup two"));

        // The holder died without ending it: past its lifetime it pauses nothing and can be taken.
        await using (var connection = await test.Database.OpenAsync())
        {
            await connection.ExecuteAsync(test.Database.Sql("UPDATE maintenance SET heartbeat_at = {{NOW}} - 16000"));
        }

        Assert.Null(await pause.ActiveAsync());
        Assert.Null(await pause.BeginAsync("backup two", "manual"));
        Assert.False(await pause.HeartbeatAsync("backup one"));
        await pause.EndAsync("backup two");
        Assert.Null(await pause.ActiveAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_holder_that_stalled_past_the_lifetime_is_told_its_pause_lapsed_even_if_nobody_took_it(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var pause = new MaintenancePause(test.Database);
        Assert.Null(await pause.BeginAsync("backup one", "nightly"));

        // Its process was stopped for longer than the lifetime: nodes went on meanwhile; the row is still there.
        await using (var connection = await test.Database.OpenAsync())
        {
            await connection.ExecuteAsync(test.Database.Sql("UPDATE maintenance SET heartbeat_at = {{NOW}} - 16000"));
        }

        Assert.False(await pause.HeartbeatAsync("backup one"));
        Assert.Null(await pause.ActiveAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Nothing_is_claimed_while_paused_and_running_work_is_counted(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var owner = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Publisher)).User!;
        var content = (await new ContentRepository(test.Database).CreateAsync(owner.Id, "report", null)).Content!;
        var schedules = new ScheduleRepository(test.Database);
        var (every, _) = ScheduleExpression.Parse("every 1h", "UTC");
        await schedules.CreateAsync(content.Id, every!, await schedules.DatabaseNowAsync() - TimeSpan.FromSeconds(1));
        await schedules.QueueDueRunsAsync();
        await new NodeRegistry(test.Database, TimeProvider.System).RegisterAsync(new NodeIdentity("node-a", "http://a", "1", Migrations.Latest, "i"));
        await new TaskRepository(test.Database).CreateHeldAsync("deploy", "node-a", "i", content.Id, owner.Id);
        var pause = new MaintenancePause(test.Database);
        var jobs = new JobRepository(test.Database);

        await pause.BeginAsync("backup", "test");

        Assert.Null(await jobs.ClaimAsync("node-a", TimeSpan.FromMinutes(1)));
        Assert.Equal(1, await pause.InFlightAsync());
        await pause.EndAsync("backup");
        Assert.NotNull(await jobs.ClaimAsync("node-a", TimeSpan.FromMinutes(1)));
        Assert.Equal(2, await pause.InFlightAsync());
    }
}
