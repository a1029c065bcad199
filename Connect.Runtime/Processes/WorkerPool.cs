using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;

namespace Connect.Runtime.Processes;

/// <summary>Why a connection got no worker.</summary>
internal enum WorkerRefusal
{
    None,

    /// <summary>Every worker is at MaxConnsPerProcess and MaxProcesses are running: answer 503.</summary>
    Busy,

    /// <summary>The worker's R process exited before it listened: answer 502 with its last log lines.</summary>
    StartFailed,

    /// <summary>The worker did not listen within InitTimeout and was killed: answer 502.</summary>
    InitTimeout,

    /// <summary>The node is stopping and gives no worker to a new connection: answer 503 so the viewer retries elsewhere.</summary>
    Stopping,
}

/// <summary>A connection's hold on a worker; disposing it gives the connection back.</summary>
internal sealed class WorkerLease(Worker worker, TimeProvider clock) : IDisposable
{
    private int _disposed;

    public Worker Worker { get; } = worker;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Worker.Disconnect(clock.GetUtcNow());
        }
    }
}

internal sealed record AcquireResult(WorkerLease? Lease, WorkerRefusal Refusal, Worker? FailedWorker = null, TimeSpan InitTimeout = default);

/// <summary>
/// This node's workers for every content item, and the rules that start, share and stop them.
/// Limits are per content item and per node; nodes never count each other's workers.
/// </summary>
internal sealed partial class WorkerPool(IWorkerLauncher launcher, IContentVariables environment, ConnectOptions options, TimeProvider clock, ILogger<WorkerPool> logger)
{
    private readonly Dictionary<long, List<Worker>> _workers = [];
    private readonly Lock _lock = new();

    // Read afresh for every start, but the last known values start a worker while the database is away: a worker
    // that idled out just before an outage must come back with its variables, or its content stops being served.
    private readonly LastAnswerCache<long, IReadOnlyDictionary<string, string>> _environments = new(TimeSpan.Zero, clock);
    private bool _stopping;

    public SchedulerOptions SchedulerOptions => options.Scheduler;

    /// <summary>A snapshot of every worker on this node that has not exited.</summary>
    public IReadOnlyList<Worker> Workers
    {
        get
        {
            lock (_lock)
            {
                return _workers.Values.SelectMany(w => w).Where(w => w.State != WorkerState.Exited).ToList();
            }
        }
    }

    /// <summary>Workers that exited without being asked to: kept to show why.</summary>
    public IReadOnlyList<Worker> RecentExits
    {
        get
        {
            lock (_lock)
            {
                return [.. _recentExits];
            }
        }
    }

    private readonly Queue<Worker> _recentExits = new();

    /// <summary>
    /// Finds or starts a worker for one new connection to <paramref name="content"/>'s active
    /// <paramref name="bundle"/>, preferring <paramref name="preferredWorkerId"/> (the connection's or
    /// the browser's previous worker) while it has room.
    /// </summary>
    public async Task<AcquireResult> AcquireAsync(ContentItem content, Bundle bundle, string? preferredWorkerId, CancellationToken cancellationToken)
    {
        var settings = WorkerSettings.For(content, options.Scheduler);
        Worker chosen;
        Worker? spawned = null;
        lock (_lock)
        {
            if (_stopping)
            {
                return new AcquireResult(null, WorkerRefusal.Stopping);
            }

            var list = ListForBundle(content.Id, bundle.Id);

            var alive = list.Where(w => w.IsAlive && !w.Outdated).ToList();
            var candidate = alive.FirstOrDefault(w => w.Id == preferredWorkerId && w.Connections < settings.MaxConnsPerProcess)
                ?? alive.Where(w => w.Connections < settings.MaxConnsPerProcess)
                    .OrderBy(w => w.State == WorkerState.Ready ? 0 : 1).ThenBy(w => w.Connections).FirstOrDefault();

            // The spawn rule: another worker starts once every worker has reached LoadFactor x MaxConnsPerProcess.
            if (alive.Count < settings.MaxProcesses && alive.All(w => w.Connections >= settings.SpawnThreshold))
            {
                spawned = launcher.Create(content, bundle);
                list.Add(spawned);
            }

            candidate ??= spawned;
            if (candidate is null)
            {
                return new AcquireResult(null, WorkerRefusal.Busy);
            }

            chosen = candidate;
            chosen.Connect();
        }

        // The process starts outside the lock: reading the content's environment is a database call.
        if (spawned is not null)
        {
            await LaunchAsync(spawned, content, bundle);
        }

        var lease = new WorkerLease(chosen, clock);
        if (chosen.State == WorkerState.Ready)
        {
            return new AcquireResult(lease, WorkerRefusal.None);
        }

        try
        {
            // InitTimeout is kept from the worker's launch (StopIfNotReadyAsync), not from this viewer's arrival.
            await chosen.Ready.WaitAsync(cancellationToken);
            return new AcquireResult(lease, WorkerRefusal.None);
        }
        catch (TimeoutException)
        {
            lease.Dispose();
            return new AcquireResult(null, WorkerRefusal.InitTimeout, chosen, settings.InitTimeout);
        }
        catch (WorkerExitedException)
        {
            lease.Dispose();
            return new AcquireResult(null, WorkerRefusal.StartFailed, chosen);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private async Task LaunchAsync(Worker worker, ContentItem content, Bundle bundle)
    {
        _ = WatchAsync(worker);
        _ = StopIfNotReadyAsync(worker, WorkerSettings.For(content, options.Scheduler).InitTimeout);
        try
        {
            var variables = await _environments.GetAsync(content.Id, deadline => environment.ValuesAsync(content.Id, deadline));
            launcher.Launch(worker, content, bundle, variables);
        }
        catch (Exception e)
        {
            worker.AddLogLine($"[connect] the worker could not be started: {e.Message}");
            worker.MarkExited(-1);
        }
    }

    /// <summary>
    /// Stops a worker that has not said it listens within InitTimeout, whether or not a viewer waits for it: a warm
    /// (MinProcesses) worker that hangs would otherwise hold its place for good, and the supervisor would never
    /// start another in its stead.
    /// </summary>
    private async Task StopIfNotReadyAsync(Worker worker, TimeSpan initTimeout)
    {
        try
        {
            await worker.Ready.WaitAsync(initTimeout, clock);
        }
        catch (TimeoutException)
        {
            lock (_lock)
            {
                if (worker.State == WorkerState.Starting)
                {
                    LogInitTimeout(worker.ContentGuid, worker.Id, initTimeout.TotalSeconds);
                    worker.MarkInitTimedOut(initTimeout);
                    launcher.Stop(worker);
                }
            }
        }
        catch (WorkerExitedException)
        {
        }
    }

    /// <summary>Starts workers until <paramref name="content"/> has its MinProcesses on this node.</summary>
    public async Task KeepWarmAsync(ContentItem content, Bundle bundle, CancellationToken cancellationToken)
    {
        var settings = WorkerSettings.For(content, options.Scheduler);
        if (settings.MinProcesses == 0)
        {
            return;
        }

        var started = new List<Worker>();
        lock (_lock)
        {
            var list = ListForBundle(content.Id, bundle.Id);

            for (var alive = list.Count(w => w.IsAlive && !w.Outdated); !_stopping && alive < settings.MinProcesses; alive++)
            {
                var worker = launcher.Create(content, bundle);
                list.Add(worker);
                started.Add(worker);
            }
        }

        foreach (var worker in started)
        {
            await LaunchAsync(worker, content, bundle);
        }
    }

    /// <summary>
    /// Stops what is no longer needed: outdated workers once their last connection closes, and idle
    /// workers above MinProcesses once they have been idle for IdleTimeout.
    /// </summary>
    public void StopIdle(IReadOnlyDictionary<long, ContentItem> content)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            foreach (var (contentId, list) in _workers)
            {
                var settings = content.TryGetValue(contentId, out var item) ? WorkerSettings.For(item, options.Scheduler) : null;
                var alive = list.Where(w => w.IsAlive && !w.Outdated).ToList();
                foreach (var worker in list.Where(w => w.IsAlive && w.Connections == 0))
                {
                    var idle = now - worker.LastActive;
                    if (worker.Outdated || settings is null)
                    {
                        Stop(worker, "its bundle is no longer active");
                    }
                    else if (worker.State == WorkerState.Ready && idle >= settings.IdleTimeout && alive.Count > settings.MinProcesses)
                    {
                        Stop(worker, $"idle for {idle.TotalSeconds:0.#}s");
                        alive.Remove(worker);
                    }
                }
            }
        }
    }

    /// <summary>Stops every worker of one content item on this node (rsconnect's terminate).</summary>
    public int StopContent(long contentId)
    {
        lock (_lock)
        {
            var alive = ListFor(contentId).Where(w => w.IsAlive).ToList();
            alive.ForEach(w => Stop(w, "terminated through the API"));
            return alive.Count;
        }
    }

    /// <summary>Stops every worker of one content item on this node and waits (a grace period at most) for their processes to end.</summary>
    public async Task StopContentAsync(long contentId, string reason)
    {
        List<Worker> ending;
        lock (_lock)
        {
            ending = ListFor(contentId).Where(w => w.State != WorkerState.Exited).ToList();
            ending.Where(w => w.IsAlive).ToList().ForEach(w => Stop(w, reason));
        }

        try
        {
            await Task.WhenAll(ending.Select(w => w.Exited)).WaitAsync(WorkerLauncher.StopGracePeriod + TimeSpan.FromSeconds(2), clock);
        }
        catch (TimeoutException)
        {
            // Killed by now or soon; what follows never depends on it.
        }
    }

    /// <summary>Stops one worker by id (the admin console's stop button); false if this node has no such live worker.</summary>
    public bool StopWorker(string workerId, string reason)
    {
        lock (_lock)
        {
            var worker = _workers.Values.SelectMany(w => w).FirstOrDefault(w => w.Id == workerId && w.IsAlive);
            if (worker is null)
            {
                return false;
            }

            Stop(worker, reason);
            return true;
        }
    }

    /// <summary>From now on no connection gets a worker, new or running: the node is stopping.</summary>
    public void RefuseConnections()
    {
        lock (_lock)
        {
            _stopping = true;
        }
    }

    /// <summary>Stops every worker; from now on no connection gets one (the node is stopping).</summary>
    public async Task StopAllAsync()
    {
        List<Worker> all;
        lock (_lock)
        {
            _stopping = true;
            all = _workers.Values.SelectMany(w => w).Where(w => w.State != WorkerState.Exited).ToList();
            all.ForEach(w => Stop(w, "the node is stopping"));
        }

        await Task.WhenAll(all.Select(w => w.Exited));
    }

    private void Stop(Worker worker, string reason)
    {
        LogStopping(worker.ContentGuid, worker.Id, reason);
        launcher.Stop(worker);
    }

    /// <summary>The content's workers, with those of any other bundle than the active one marked outdated.</summary>
    private List<Worker> ListForBundle(long contentId, long activeBundleId)
    {
        var list = ListFor(contentId);
        foreach (var stale in list.Where(w => w.BundleId != activeBundleId))
        {
            stale.Outdated = true;
        }

        return list;
    }

    private List<Worker> ListFor(long contentId)
    {
        if (!_workers.TryGetValue(contentId, out var list))
        {
            _workers[contentId] = list = [];
        }

        return list;
    }

    /// <summary>Forgets a worker once it exits; one that exited unasked is kept among the recent exits.</summary>
    private async Task WatchAsync(Worker worker)
    {
        var exitCode = await worker.Exited;
        lock (_lock)
        {
            ListFor(worker.ContentId).Remove(worker);
            if (!worker.Graceful.IsCancellationRequested)
            {
                LogCrashed(worker.ContentGuid, worker.Id, exitCode);
                _recentExits.Enqueue(worker);
                while (_recentExits.Count > 20)
                {
                    _recentExits.Dequeue();
                }
            }
        }
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "Stopping worker {WorkerId} of content {Guid}: {Reason}")]
    private partial void LogStopping(string guid, string workerId, string reason);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "Worker {WorkerId} of content {Guid} exited unexpectedly with code {ExitCode}; the next request starts a new one")]
    private partial void LogCrashed(string guid, string workerId, int exitCode);

    [LoggerMessage(EventId = 412, Level = LogLevel.Warning, Message = "Worker {WorkerId} of content {Guid} did not listen within {Seconds}s (InitTimeout) and was stopped")]
    private partial void LogInitTimeout(string guid, string workerId, double seconds);
}
