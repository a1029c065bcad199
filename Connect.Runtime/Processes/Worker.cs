namespace Connect.Runtime.Processes;

internal enum WorkerState
{
    Starting,
    Ready,
    Stopping,
    Exited,
}

/// <summary>
/// One R process serving one bundle of one content item on a Unix socket of its own. Its connection count is
/// the number of proxied requests and WebSockets it is serving (or has been promised while starting).
/// </summary>
internal sealed class Worker
{
    private const int KeptLogLines = 60;

    private readonly Queue<string> _lastLines = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connections;

    public Worker(string id, long contentId, string contentGuid, long bundleId, string appMode, string socketFolder, string logPath, DateTimeOffset startedAt, int? uid = null)
    {
        Id = id;
        AppMode = appMode;
        ContentId = contentId;
        ContentGuid = contentGuid;
        BundleId = bundleId;
        SocketFolder = socketFolder;
        Uid = uid;
        LogPath = logPath;
        StartedAt = startedAt;
        LastActive = startedAt;
    }

    public string Id { get; }

    public long ContentId { get; }

    public string ContentGuid { get; }

    public long BundleId { get; }

    /// <summary>shiny, rmd-shiny or api.</summary>
    public string AppMode { get; }

    /// <summary>The folder of its socket on the host (see <see cref="Sandbox.WorkerSocket"/>).</summary>
    /// <remarks>Set when it is launched, and once more, before it is ready, when a spare R process becomes this worker: the spare's own.</remarks>
    public string SocketFolder { get; set; }

    /// <summary>The socket the node connects to.</summary>
    public string SocketPath => Sandbox.WorkerSocket.HostPath(SocketFolder);

    /// <summary>The uid its processes run as; the node's connections must reach a process of this uid. Null: the node's own.</summary>
    public int? Uid { get; }

    public string LogPath { get; }

    public DateTimeOffset StartedAt { get; }

    public int? Pid { get; set; }

    public volatile WorkerState State = WorkerState.Starting;

    /// <summary>Set when a newer bundle became active: it takes no new connections and stops once idle.</summary>
    public volatile bool Outdated;

    public int Connections => Volatile.Read(ref _connections);

    public DateTimeOffset LastActive { get; private set; }

    public int? ExitCode => _exited.Task.IsCompleted ? _exited.Task.Result : null;

    /// <summary>Why it ended, when the node knows more than its exit code (it went over its memory limit).</summary>
    public string? ExitReason { get; set; }

    public Task Ready => _ready.Task;

    public Task<int> Exited => _exited.Task;

    /// <summary>Cancels to stop the worker: graceful signal first, the forceful one a grace period later.</summary>
    public CancellationTokenSource Graceful { get; } = new();

    public CancellationTokenSource Forceful { get; } = new();

    public bool IsAlive => State is WorkerState.Starting or WorkerState.Ready;

    public void Connect() => Interlocked.Increment(ref _connections);

    public void Disconnect(DateTimeOffset now)
    {
        Interlocked.Decrement(ref _connections);
        LastActive = now;
    }

    public void MarkReady()
    {
        State = WorkerState.Ready;
        _ready.TrySetResult();
    }

    /// <summary>InitTimeout passed before the worker listened: whoever waits for it is told so at once.</summary>
    public void MarkInitTimedOut(TimeSpan initTimeout) =>
        _ready.TrySetException(new TimeoutException($"the R process did not listen within {initTimeout.TotalSeconds:0.#} seconds"));

    public void MarkExited(int exitCode)
    {
        State = WorkerState.Exited;
        _exited.TrySetResult(exitCode);
        _ready.TrySetException(new WorkerExitedException(exitCode));
    }

    public void AddLogLine(string line)
    {
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > KeptLogLines)
            {
                _lastLines.Dequeue();
            }
        }
    }

    public IReadOnlyList<string> LastLogLines()
    {
        lock (_lastLines)
        {
            return _lastLines.ToList();
        }
    }
}

internal sealed class WorkerExitedException(int exitCode) : Exception($"the R process exited with code {exitCode}")
{
    public int ExitCode { get; } = exitCode;
}
