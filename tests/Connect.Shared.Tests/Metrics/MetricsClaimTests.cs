using Connect.Shared.Metrics;
using Connect.Testing;

namespace Connect.Shared.Tests.Metrics;

public sealed class MetricsClaimTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-metrics-claim");

    public void Dispose() => _folder.Dispose();

    private static Func<string, Task<bool>> Live(params string[] nodes) => name => Task.FromResult(nodes.Contains(name));

    [Fact]
    public async Task A_second_node_on_a_held_path_is_refused_and_told_which_node_holds_it()
    {
        var (first, _) = await MetricsClaim.TakeAsync(_folder.Path, "node-a", "i1", Live());
        using var held = first!;

        var (second, refusal) = await MetricsClaim.TakeAsync(_folder.Path, "node-b", "i2", Live("node-a"));

        Assert.Null(second);
        Assert.Contains("in use by node 'node-a'", refusal);
        Assert.Contains("give every node its own Metrics.DataPath", refusal);
    }

    [Fact]
    public async Task A_holder_that_is_alive_on_another_host_is_respected_and_a_dead_one_is_taken_over()
    {
        (await MetricsClaim.TakeAsync(_folder.Path, "node-a", "i1", Live())).Claim!.Dispose(); // node-a's lock is gone (say it runs elsewhere)

        var (refused, refusal) = await MetricsClaim.TakeAsync(_folder.Path, "node-b", "i2", Live("node-a"));
        Assert.Null(refused);
        Assert.Contains("'node-a'", refusal);

        var (taken, none) = await MetricsClaim.TakeAsync(_folder.Path, "node-b", "i2", Live());
        using var _ = taken;
        Assert.NotNull(taken);
        Assert.Null(none);
        Assert.Equal("node-b", MetricsClaim.HolderOf(_folder.Path));
    }

    [Fact]
    public async Task The_same_node_restarted_takes_its_own_path_back()
    {
        (await MetricsClaim.TakeAsync(_folder.Path, "node-a", "i1", Live())).Claim!.Dispose();

        var (again, _) = await MetricsClaim.TakeAsync(_folder.Path, "node-a", "i2", Live("node-a"));
        using var _ = again;

        Assert.NotNull(again);
    }
}
