using Connect.Shared.Configuration;
using Connect.Shared.Metrics;

namespace Connect.Shared.Tests.Metrics;

public sealed class NodeStatusRepositoryTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_published_node_is_read_back_with_its_workers_with_and_without_its_charts(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        var repository = new NodeStatusRepository(test.Database);
        var worker = new WorkerLive("w1", "guid-1", 7, 4242, 2, 12.5, 1 << 20, DateTimeOffset.UnixEpoch, "Ready");
        await repository.PublishLiveAsync("node-a", "instance", new NodeSettings("/m", "sqlite", 2, false, false, false, false),
            new NodeLive(DateTimeOffset.UnixEpoch, 1, 2, 3, 4, 5, 6, 7, [worker]));

        // Without charts the history column is a bare NULL, which SQLite reports as a blob.
        var light = Assert.Single(await repository.ListAsync(withHistory: false));
        var full = Assert.Single(await repository.ListAsync(withHistory: true));

        Assert.Equal(worker, Assert.Single(light.Live.Workers));
        Assert.Null(light.History);
        Assert.Equal("node-a", full.Node);
    }
}
