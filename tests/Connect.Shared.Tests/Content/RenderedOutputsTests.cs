using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Scheduling;
using Connect.Shared.Tasks;
using Connect.Shared.Users;
using Connect.Testing;

namespace Connect.Shared.Tests.Content;

public sealed class RenderedOutputsTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Only_old_outputs_that_are_neither_live_nor_of_a_running_render_are_removed(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        using var dataDir = new TempDirectory("connect-outputs");
        var owner = (await new UserRepository(test.Database).AddAsync("kim", UserRole.Publisher)).User!;
        var contents = new ContentRepository(test.Database);
        var content = (await contents.CreateAsync(owner.Id, "report", null)).Content!;
        var bundle = await new BundleRepository(test.Database).AddAsync(content.Id, "apps/1/1", 1, AppModes.RmdStatic, "r.Rmd", []);
        var deploying = await new TaskRepository(test.Database).CreateAsync("deploy", "node-a", content.Id, owner.Id);
        var schedules = new ScheduleRepository(test.Database);
        var (every, _) = ScheduleExpression.Parse("every 1h", "UTC");
        await schedules.CreateAsync(content.Id, every!, await schedules.DatabaseNowAsync() - TimeSpan.FromSeconds(1));
        await schedules.QueueDueRunsAsync();
        var job = (await new JobRepository(test.Database).ClaimAsync("node-a", TimeSpan.FromMinutes(1)))!;

        var folder = $"output/{content.Id}";
        var live = $"{folder}/{bundle.Id}-livetask";
        var replaced = $"{folder}/{bundle.Id}-oldtask";
        var deployInProgress = $"{folder}/{bundle.Id}-{deploying}";
        var renderInProgress = $"{folder}/{bundle.Id}-job{job.Id}-{job.Token}";
        var leftByACrash = $"{folder}/{bundle.Id}-job999-1";
        var justReplaced = $"{folder}/{bundle.Id}-newtask";
        var now = DateTimeOffset.UtcNow;
        foreach (var path in new[] { live, replaced, deployInProgress, renderInProgress, leftByACrash, justReplaced })
        {
            Directory.CreateDirectory(Path.Combine(dataDir.Path, path));
            File.WriteAllText(Path.Combine(dataDir.Path, path, "index.html"), "<p>report</p>");
            Directory.SetLastWriteTimeUtc(Path.Combine(dataDir.Path, path), (now - TimeSpan.FromHours(2)).UtcDateTime);
        }

        Directory.SetLastWriteTimeUtc(Path.Combine(dataDir.Path, justReplaced), (now - TimeSpan.FromMinutes(1)).UtcDateTime);
        await contents.ActivateBundleAsync(content.Id, bundle, live);

        var removed = await new RenderedOutputs(test.Database).SweepAsync(dataDir.Path, now);

        Assert.Equal([leftByACrash, replaced], removed.Order());
        Assert.All(new[] { live, deployInProgress, renderInProgress, justReplaced }, path =>
            Assert.True(File.Exists(Path.Combine(dataDir.Path, path, "index.html")), path));
        Assert.Empty(await new RenderedOutputs(test.Database).SweepAsync(dataDir.Path, now));
    }

    [Fact]
    public async Task A_data_directory_without_outputs_is_fine()
    {
        await using var test = await MigratedDatabase.CreateAsync(DatabaseProvider.Sqlite);
        using var dataDir = new TempDirectory("connect-outputs");

        Assert.Empty(await new RenderedOutputs(test.Database).SweepAsync(dataDir.Path, DateTimeOffset.UtcNow));
    }
}
