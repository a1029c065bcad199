using Connect.Runtime.Processes;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Connect.Runtime.Tests.Processes;

/// <summary>
/// The README's spawn rule, on the pool alone: a fake launcher stands for R (the tests say when a worker listens or
/// exits) and a fake clock for time. Real R processes are the e2e tests' part.
/// </summary>
public sealed class WorkerPoolTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly FakeLauncher _launcher;
    private readonly ConnectOptions _options = new()
    {
        Scheduler = { MinProcesses = 0, MaxProcesses = 3, MaxConnsPerProcess = 4, LoadFactor = 0.5, IdleTimeout = TimeSpan.FromSeconds(5), InitTimeout = TimeSpan.FromSeconds(60) },
    };

    private readonly WorkerPool _pool;

    public WorkerPoolTests()
    {
        _launcher = new FakeLauncher(_clock);
        _pool = new WorkerPool(_launcher, new NoVariables(), _options, _clock, NullLogger<WorkerPool>.Instance);
    }

    private static readonly ContentItem App = new(1, "g-app", "app", null, null, 1, "pat", AppModes.Shiny, 10, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
    private static readonly Bundle Live = new(10, 1, "apps/1/10", 1, AppModes.Shiny, "app.R", [], DateTimeOffset.UnixEpoch);
    private static readonly Bundle Newer = new(11, 1, "apps/1/11", 1, AppModes.Shiny, "app.R", [], DateTimeOffset.UnixEpoch);

    /// <summary>Acquires a connection while the launcher makes every new worker listen at once.</summary>
    private async Task<WorkerLease> ConnectAsync(ContentItem? content = null, Bundle? bundle = null, string? preferred = null)
    {
        var result = await _pool.AcquireAsync(content ?? App, bundle ?? Live, preferred, CancellationToken.None);
        Assert.Equal(WorkerRefusal.None, result.Refusal);
        return result.Lease!;
    }

    [Fact]
    public async Task The_first_connection_starts_a_worker_and_waits_until_it_listens()
    {
        _launcher.ReadyAtOnce = false;
        var acquiring = _pool.AcquireAsync(App, Live, null, CancellationToken.None);

        var worker = Assert.Single(_launcher.Launched);
        Assert.False(acquiring.IsCompleted);
        worker.MarkReady();
        var result = await acquiring;

        Assert.Same(worker, result.Lease!.Worker);
        Assert.Equal(1, worker.Connections);
    }

    [Fact]
    public async Task Another_worker_starts_once_every_worker_has_load_factor_times_max_connections()
    {
        // LoadFactor 0.5 x MaxConnsPerProcess 4: a second worker starts at the third connection, a third at the fifth.
        var leases = new List<WorkerLease>();
        for (var i = 0; i < 2; i++)
        {
            leases.Add(await ConnectAsync());
        }

        Assert.Single(_launcher.Launched);
        leases.Add(await ConnectAsync());
        Assert.Equal(2, _launcher.Launched.Count);
        Assert.Equal(3, _launcher.Launched[0].Connections); // the ready worker with room takes it; the new one warms up

        leases.Add(await ConnectAsync());
        Assert.Equal(2, _launcher.Launched.Count); // the second worker has 1 < 2
        Assert.Equal(1, _launcher.Launched[1].Connections);
    }

    [Fact]
    public async Task With_max_processes_each_at_max_connections_a_connection_is_refused_as_busy()
    {
        var busy = App with { Overrides = new ProcessOverrides(MaxProcesses: 1, MaxConnsPerProcess: 2) };
        await ConnectAsync(busy);
        await ConnectAsync(busy);

        var refused = await _pool.AcquireAsync(busy, Live, null, CancellationToken.None);

        Assert.Equal(WorkerRefusal.Busy, refused.Refusal);
        Assert.Single(_launcher.Launched);
    }

    [Fact]
    public async Task A_connection_keeps_its_worker_while_that_worker_has_room()
    {
        var leases = new List<WorkerLease>();
        for (var i = 0; i < 3; i++)
        {
            leases.Add(await ConnectAsync());
        }

        var (first, second) = (_launcher.Launched[0], _launcher.Launched[1]);
        _ = await ConnectAsync(preferred: first.Id); // the least used ready worker would be the second

        Assert.Equal(4, first.Connections);
        Assert.Equal(0, second.Connections);
        _ = await ConnectAsync(preferred: first.Id); // full now: the least used takes it
        Assert.Equal(1, second.Connections);
    }

    [Fact]
    public async Task Idle_workers_stop_after_the_idle_timeout_but_never_below_the_minimum()
    {
        var warm = App with { Overrides = new ProcessOverrides(MinProcesses: 1) };
        var leases = new List<WorkerLease>();
        for (var i = 0; i < 3; i++)
        {
            leases.Add(await ConnectAsync(warm));
        }

        Assert.Equal(2, _launcher.Launched.Count);
        leases.ForEach(l => l.Dispose());
        var content = new Dictionary<long, ContentItem> { [warm.Id] = warm };

        _clock.Advance(TimeSpan.FromSeconds(4));
        _pool.StopIdle(content);
        Assert.Equal(2, _pool.Workers.Count);

        _clock.Advance(TimeSpan.FromSeconds(1));
        _pool.StopIdle(content);
        Assert.Single(_pool.Workers); // MinProcesses = 1 stays
        Assert.Single(_launcher.Stopped);
    }

    [Fact]
    public async Task Min_processes_are_started_before_any_connection()
    {
        var warm = App with { Overrides = new ProcessOverrides(MinProcesses: 2) };

        await _pool.KeepWarmAsync(warm, Live, CancellationToken.None);
        await _pool.KeepWarmAsync(warm, Live, CancellationToken.None);

        Assert.Equal(2, _launcher.Launched.Count);
    }

    [Fact]
    public async Task A_worker_that_does_not_listen_within_the_init_timeout_is_stopped_and_its_viewer_told()
    {
        _launcher.ReadyAtOnce = false;
        var acquiring = _pool.AcquireAsync(App, Live, null, CancellationToken.None);
        var worker = Assert.Single(_launcher.Launched);

        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(acquiring.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var result = await acquiring;

        Assert.Equal(WorkerRefusal.InitTimeout, result.Refusal);
        Assert.Same(worker, result.FailedWorker);
        Assert.Contains(worker, _launcher.Stopped);
    }

    [Fact]
    public async Task A_worker_that_exits_before_it_listens_fails_its_viewer_with_its_exit()
    {
        _launcher.ReadyAtOnce = false;
        var acquiring = _pool.AcquireAsync(App, Live, null, CancellationToken.None);

        Assert.Single(_launcher.Launched).MarkExited(1);
        var result = await acquiring;

        Assert.Equal(WorkerRefusal.StartFailed, result.Refusal);
        Assert.Equal(1, result.FailedWorker!.ExitCode);
        await Wait.UntilAsync(() => _pool.RecentExits.Count == 1, "the exit to be kept to show why", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task After_a_redeploy_old_workers_take_no_new_connections_and_stop_when_their_last_one_closes()
    {
        var old = await ConnectAsync();
        var current = await ConnectAsync(bundle: Newer);

        Assert.NotSame(old.Worker, current.Worker);
        Assert.True(old.Worker.Outdated);
        var content = new Dictionary<long, ContentItem> { [App.Id] = App with { ActiveBundleId = Newer.Id } };
        _pool.StopIdle(content);
        Assert.DoesNotContain(old.Worker, _launcher.Stopped); // a viewer still uses it

        old.Dispose();
        _pool.StopIdle(content);
        Assert.Contains(old.Worker, _launcher.Stopped); // before its idle timeout
        Assert.DoesNotContain(current.Worker, _launcher.Stopped);
    }

    [Fact]
    public async Task A_stopping_node_gives_no_worker_to_a_new_connection()
    {
        await ConnectAsync();

        _pool.RefuseConnections();

        Assert.Equal(WorkerRefusal.Stopping, (await _pool.AcquireAsync(App, Live, null, CancellationToken.None)).Refusal);
    }

    /// <summary>Stands for R: workers listen at once (or when a test says), and stop as soon as they are asked.</summary>
    private sealed class FakeLauncher(TimeProvider clock) : IWorkerLauncher
    {
        public bool ReadyAtOnce { get; set; } = true;

        public List<Worker> Launched { get; } = [];

        public List<Worker> Stopped { get; } = [];

        public Worker Create(ContentItem content, Bundle bundle) =>
            new(Guid.NewGuid().ToString("N")[..12], content.Id, content.Guid, bundle.Id, bundle.AppMode, "", "/dev/null", clock.GetUtcNow());

        public void Launch(Worker worker, ContentItem content, Bundle bundle, IReadOnlyDictionary<string, string> environment)
        {
            Launched.Add(worker);
            if (ReadyAtOnce)
            {
                worker.MarkReady();
            }
        }

        public void Stop(Worker worker)
        {
            Stopped.Add(worker);
            worker.State = WorkerState.Stopping;
            worker.Graceful.Cancel();
            worker.MarkExited(0);
        }
    }

    private sealed class NoVariables : IContentVariables
    {
        public Task<IReadOnlyDictionary<string, string>> ValuesAsync(long contentId, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>());
    }
}
