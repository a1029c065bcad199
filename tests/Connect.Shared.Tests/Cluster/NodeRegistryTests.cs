using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Testing;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Connect.Shared.Tests.Cluster;

public sealed class NodeRegistryTests
{
    private static async Task<TestDatabase> MigratedAsync(DatabaseProvider provider)
    {
        var test = await TestDatabase.CreateAsync(provider);
        await new SchemaMigrator(test.Database, NullLogger<SchemaMigrator>.Instance).MigrateAsync("test");
        return test;
    }

    private static NodeIdentity Node(string name) => new(name, $"http://{name}:3939", "1.2.3", Migrations.Latest, Guid.NewGuid().ToString("N"));

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_registered_node_is_listed_as_running(DatabaseProvider provider)
    {
        await using var test = await MigratedAsync(provider);
        var registry = new NodeRegistry(test.Database, TimeProvider.System);

        await registry.RegisterAsync(Node("b"));
        await registry.RegisterAsync(Node("a"));

        var nodes = await registry.ListAsync();
        Assert.Equal(["a", "b"], nodes.Select(n => n.Name));
        var a = nodes[0];
        Assert.Equal(("http://a:3939", "1.2.3", Migrations.Latest, NodeStatus.Running), (a.Url, a.Version, a.SchemaVersion, a.Status));
        Assert.True(a.HeartbeatAge < TimeSpan.FromSeconds(5), $"heartbeat age {a.HeartbeatAge}");
        Assert.True(Math.Abs(a.ClockOffset.TotalMilliseconds) < 1000, $"offset {a.ClockOffset}");
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_node_with_a_skewed_clock_shows_its_offset(DatabaseProvider provider)
    {
        await using var test = await MigratedAsync(provider);
        var skewed = new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromSeconds(7));
        var registry = new NodeRegistry(test.Database, skewed);
        var node = Node("fast");

        await registry.RegisterAsync(node);
        var measured = await registry.HeartbeatAsync(node);

        Assert.InRange(measured!.ClockOffset!.Value.TotalMilliseconds, 6000, 8000);
        var offset = Assert.Single(await registry.ListAsync()).ClockOffset;
        Assert.InRange(offset.TotalMilliseconds, 6000, 8000);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_slow_round_trip_measures_no_offset_and_the_row_keeps_the_one_it_had(DatabaseProvider provider)
    {
        await using var test = await MigratedAsync(provider);
        var clock = new SteppingClock(DateTimeOffset.UtcNow + TimeSpan.FromSeconds(7));
        var registry = new NodeRegistry(test.Database, clock);
        var node = Node("stalled");
        await registry.RegisterAsync(node);
        Assert.NotNull((await registry.HeartbeatAsync(node))!.ClockOffset);

        // The database answers, but 40 s late (it was frozen): what it read of its clock says nothing of ours.
        clock.Step = TimeSpan.FromSeconds(40);
        var beat = await registry.HeartbeatAsync(node);

        Assert.NotNull(beat);
        Assert.Null(beat.ClockOffset);
        Assert.InRange(Assert.Single(await registry.ListAsync()).ClockOffset.TotalMilliseconds, 6000, 8000);
    }

    /// <summary>A clock that moves on by <see cref="Step"/> each time it is read: a round trip then takes that long.</summary>
    private sealed class SteppingClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public TimeSpan Step { get; set; }

        public override DateTimeOffset GetUtcNow()
        {
            var now = _now;
            _now += Step;
            return now;
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_deregistered_node_is_stopped_and_its_heartbeat_no_longer_counts(DatabaseProvider provider)
    {
        await using var test = await MigratedAsync(provider);
        var registry = new NodeRegistry(test.Database, TimeProvider.System);
        var node = Node("a");
        await registry.RegisterAsync(node);

        await registry.DeregisterAsync(node);

        Assert.Equal(NodeStatus.Stopped, Assert.Single(await registry.ListAsync()).Status);
        Assert.Null(await registry.HeartbeatAsync(node));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_node_whose_heartbeat_is_overdue_is_missing(DatabaseProvider provider)
    {
        await using var test = await MigratedAsync(provider);
        var registry = new NodeRegistry(test.Database, TimeProvider.System);
        await registry.RegisterAsync(Node("a"));
        await using (var connection = await test.Database.OpenAsync())
        {
            await connection.ExecuteAsync(test.Database.Sql("UPDATE nodes SET heartbeat_at = {{NOW}} - 60000"));
        }

        var node = Assert.Single(await registry.ListAsync());

        Assert.Equal(NodeStatus.Missing, node.Status);
        Assert.InRange(node.HeartbeatAge.TotalSeconds, 59, 70);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_restarted_node_takes_its_row_back_and_the_old_instance_loses_it(DatabaseProvider provider)
    {
        await using var test = await MigratedAsync(provider);
        var registry = new NodeRegistry(test.Database, TimeProvider.System);
        var first = Node("a");
        var second = first with { InstanceId = Guid.NewGuid().ToString("N"), Version = "1.2.4" };
        await registry.RegisterAsync(first);

        await registry.RegisterAsync(second);

        Assert.Null(await registry.HeartbeatAsync(first));
        Assert.NotNull(await registry.HeartbeatAsync(second));
        Assert.Equal("1.2.4", Assert.Single(await registry.ListAsync()).Version);
    }
}
