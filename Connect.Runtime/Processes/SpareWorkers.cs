using System.Text;
using CliWrap;
using Connect.Runtime.R;
using Connect.Runtime.Sandbox;
using Connect.Shared.Configuration;

namespace Connect.Runtime.Processes;

/// <summary>
/// <c>Scheduler.SpareProcesses</c>: R processes started ahead in the sandbox, with shiny loaded and a page rendered once,
/// each waiting for a Shiny app to serve. A viewer who starts an app then waits for the app alone, not for R and shiny
/// to load (most of a cold start). A spare is given its content through mounts propagated into its sandbox
/// (<see cref="SpareMounts"/>): the bundle read-only and the content's home writable, as a worker started for it
/// would have them, though at the spare's paths; the content's environment variables are set before the app starts.
/// A spare that is taken is replaced at once. Only a root node can mount, so only a root node keeps spares.
/// </summary>
internal sealed partial class SpareWorkers(
    ConnectOptions options, RInstallation r, ContentSandbox sandbox, Lazy<NodeRuntimeFolder> runtime, Metrics.NodeMeters meters, TimeProvider clock,
    ILogger<SpareWorkers> logger) : IHostedService
{
    /// <summary>The line a spare prints once it has loaded shiny and waits for its app.</summary>
    internal const string WaitingLine = "[connect] spare waiting";

    private const int MaxFailuresInARow = 3;

    private readonly Lock _lock = new();
    private readonly List<Spare> _waiting = [];
    private readonly List<Spare> _all = [];
    private SpareMounts? _mounts;
    private int _failuresInARow;
    private bool _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var count = options.Scheduler.SpareProcesses;
        if (count == 0)
        {
            return Task.CompletedTask;
        }

        var (mounts, problem) = r.Rscript is null ? (null, $"R is not installed ({r.Describe()})")
            : sandbox.Problem is { } sandboxProblem ? (null, sandboxProblem)
            : TryMounts();
        if (mounts is null)
        {
            LogNoSpares(count, problem!);
            return Task.CompletedTask;
        }

        _mounts = mounts;
        for (var i = 0; i < count; i++)
        {
            StartOne();
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        List<Spare> all;
        lock (_lock)
        {
            _stopping = true;
            all = [.. _all];
        }

        foreach (var spare in all)
        {
            spare.Assignment.TrySetResult("q('no')");
            spare.Forceful.CancelAfter(WorkerLauncher.StopGracePeriod);
        }

        // Workers made from spares are stopped by the pool; what is left here are the waiting ones, which quit at once.
        var deadline = clock.GetUtcNow() + WorkerLauncher.StopGracePeriod + TimeSpan.FromSeconds(2);
        while (clock.GetUtcNow() < deadline && Running() > 0 && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(50, CancellationToken.None);
        }

        _mounts?.Dispose();
    }

    /// <summary>The node runs without spares rather than not at all when its spare root cannot be made.</summary>
    private (SpareMounts?, string?) TryMounts()
    {
        try
        {
            return SpareMounts.TryCreate(runtime.Value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, e.Message);
        }
    }

    private int Running()
    {
        lock (_lock)
        {
            return _all.Count;
        }
    }

    /// <summary>
    /// Makes a waiting spare into <paramref name="worker"/> of a Shiny app: binds its bundle and home into the spare's
    /// sandbox and hands it the code that starts the app. False when no spare waits (or it could not be given the app):
    /// the caller starts R as usual.
    /// </summary>
    public bool TryAssign(Worker worker, string bundleDirectory, string home, IReadOnlyDictionary<string, string> environment)
    {
        if (environment.Keys.Any(ReadAtStartup))
        {
            return false; // a spare's R has started already: these would not take effect
        }

        Spare? spare;
        lock (_lock)
        {
            spare = _waiting.FirstOrDefault();
            if (spare is null || _mounts is null)
            {
                return false;
            }

            _waiting.Remove(spare);
        }

        StartOne(); // its replacement starts loading at once
        try
        {
            ContentSandbox.MakeWritable(home, sandbox.Account);
            _mounts.BindReadOnly(bundleDirectory, spare.App);
            _mounts.BindWritable(home, spare.Home);
        }
        catch (Exception e)
        {
            LogAssignFailed(worker.ContentGuid, e.Message, e);
            spare.Assignment.TrySetResult("q('no')");
            return false;
        }

        lock (_lock)
        {
            if (spare.Exited)
            {
                SpareMounts.Unmount(spare.App);
                SpareMounts.Unmount(spare.Home);
                return false;
            }

            spare.Worker = worker;
        }

        worker.Pid = spare.Pid;
        worker.SocketFolder = spare.SocketFolder;
        worker.Graceful.Token.Register(spare.Graceful.Cancel);
        worker.Forceful.Token.Register(spare.Forceful.Cancel);
        var started = $"[connect] started from a spare R process that had loaded shiny (pid {spare.Pid})";
        worker.AddLogLine(started);
        try
        {
            File.AppendAllLines(worker.LogPath, [started]);
        }
        catch (IOException)
        {
            // The line is among the worker's own; a log that stopped being writable says so at its next line.
        }
        LogAssigned(worker.ContentGuid, worker.Id, spare.Pid ?? 0);
        // Exactly the variables a worker started for the app gets, its home being the spare's.
        var variables = sandbox.Variables(new SandboxView(Spare.InsideApp, [], [], Spare.InsideHome), sandbox.Account, worker.ContentGuid, environment);
        spare.Assignment.TrySetResult(AssignmentCode(variables));
        return true;
    }

    /// <summary>Variables R (or a library it loads) reads only as it starts: the locale and R's own settings.</summary>
    internal static bool ReadAtStartup(string name) =>
        name.StartsWith("LC_", StringComparison.OrdinalIgnoreCase) || name.StartsWith("R_", StringComparison.OrdinalIgnoreCase)
        || name.Equals("LANGUAGE", StringComparison.OrdinalIgnoreCase) || name.StartsWith("OMP_", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// What a spare runs while it waits: shiny loaded and a page built once (the first page of a fresh R process costs as
    /// much as starting the app), then one line of R code from standard input: its app, or <c>q()</c>.
    /// </summary>
    internal static string EntryPoint() =>
        "invisible(suppressMessages(loadNamespace(\"shiny\"))); "
        + "invisible(htmltools::renderTags(shiny::fluidPage(shiny::textOutput(\"x\"), shiny::numericInput(\"n\", \"n\", 1)))); "
        + $"message(\"{WaitingLine}\"); "
        + "local({ con <- file(\"stdin\"); code <- readLines(con, n = 1L); close(con); if (length(code) == 1L) eval(parse(text = code), envir = globalenv()) })";

    /// <summary>
    /// The app's start, as one line of R: its variables set, into the bundle, then the same entry point a worker started
    /// for the app runs. Every string goes as its UTF-8 bytes, so no value can break out of it.
    /// </summary>
    internal static string AssignmentCode(IReadOnlyList<KeyValuePair<string, string>> variables) =>
        EnvironmentCode(variables)
        + $"setwd({Bytes(Spare.InsideApp)}); " + WorkerLauncher.EntryPoint(Shared.Content.AppModes.Shiny, null);

    /// <summary>R code that sets <paramref name="variables"/> in the process's environment.</summary>
    internal static string EnvironmentCode(IReadOnlyList<KeyValuePair<string, string>> variables)
    {
        var names = string.Join(", ", variables.Select(v => Bytes(v.Key)));
        var values = string.Join(", ", variables.Select(v => Bytes(v.Value)));
        return $"do.call(Sys.setenv, as.list(stats::setNames(c({values}), c({names})))); ";
    }

    private static string Bytes(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return bytes.Length == 0 ? "\"\"" : $"rawToChar(as.raw(c({string.Join(",", bytes.Select(b => $"0x{b:x2}"))})))";
    }

    private void StartOne()
    {
        Spare spare;
        lock (_lock)
        {
            if (_stopping || _mounts is null || _failuresInARow >= MaxFailuresInARow)
            {
                return;
            }

            var id = "spare-" + Guid.NewGuid().ToString("N")[..12];
            spare = new Spare(Path.Combine(_mounts.Root, id), Path.Combine(runtime.Value.Path, "sockets", id));
            _all.Add(spare);
        }

        _ = RunAsync(spare);
    }

    /// <summary>A spare's folders: its own (0700, the RunAs user's), the mount points for the bundle and home, and its socket's.</summary>
    private SandboxView Prepare(Spare spare)
    {
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        foreach (var folder in new[] { spare.Folder, spare.App, spare.Home })
        {
            Directory.CreateDirectory(folder, OwnerOnly);
            sandbox.Account?.Own(folder);
        }

        WorkerSocket.Create(runtime.Value, Path.GetFileName(spare.SocketFolder), sandbox.Account);
        return new SandboxView(Spare.InsideFolder, [], [], Spare.InsideHome, spare.SocketFolder, [(spare.Folder, Spare.InsideFolder)]);
    }

    private async Task RunAsync(Spare spare)
    {
        var exitCode = -1;
        var early = new List<string>();
        WorkerLog? log = null;
        SandboxedCommand? sandboxed = null;
        try
        {
            sandboxed = await sandbox.PrepareAsync(r.Rscript!, ["--vanilla", "-e", EntryPoint()], Prepare(spare), sandbox.Account, null,
                new Dictionary<string, string>(), spare.Forceful.Token, network: true);
            var command = sandboxed.Command.WithStandardInputPipe(PipeSource.Create(async (input, ct) =>
            {
                var code = await spare.Assignment.Task.WaitAsync(ct);
                await input.WriteAsync(Encoding.UTF8.GetBytes(code + "\n"), ct);
            }));
            exitCode = await ProcessEvents.RunAsync(command, spare.Forceful.Token, spare.Graceful.Token, pid => spare.Pid = pid, async (text, fromStandardError) =>
            {
                if (spare.Worker is { } target)
                {
                    log ??= new WorkerLog(target);
                    await WorkerLauncher.OutputAsync(target, log, text, fromStandardError, meters, clock);
                }
                else if (text == WaitingLine)
                {
                    lock (_lock)
                    {
                        _failuresInARow = 0;
                        if (!_stopping)
                        {
                            _waiting.Add(spare);
                        }
                    }

                    LogWaiting(spare.Pid ?? 0);
                }
                else if (early.Count < 20)
                {
                    early.Add(text);
                }
            });
        }

        catch (OperationCanceledException)
        {
            // Stopped on purpose.
        }
        catch (Exception e)
        {
            early.Add($"the R process could not be run: {e.Message}");
        }
        finally
        {
            lock (_lock)
            {
                spare.Exited = true;
            }

            spare.Assignment.TrySetCanceled();
            SpareMounts.Unmount(spare.App);
            SpareMounts.Unmount(spare.Home);
            SpareMounts.RemoveEmptyFolders(spare.Folder, depth: 1);
            WorkerSocket.Remove(spare.SocketFolder);
            if (sandboxed is not null)
            {
                if (spare.Worker is { } ended)
                {
                    log ??= new WorkerLog(ended);
                    await WorkerLauncher.Ended(ended, log, sandboxed.Limits);
                }

                await sandboxed.DisposeAsync();
            }
        }

        if (spare.Worker is { } worker)
        {
            // As for a worker started fresh, even one that wrote nothing after it was given its app.
            log ??= new WorkerLog(worker);
            await WorkerLauncher.ExitedAsync(worker, log, exitCode);
        }

        if (log is not null)
        {
            await log.DisposeAsync();
        }

        bool replace;
        lock (_lock)
        {
            _waiting.Remove(spare);
            _all.Remove(spare);
            var failed = spare.Worker is null && !_stopping;
            if (failed)
            {
                _failuresInARow++;
                LogSpareExited(exitCode, string.Join(" | ", early.TakeLast(5)), _failuresInARow, MaxFailuresInARow);
            }

            replace = failed && _failuresInARow < MaxFailuresInARow;
        }

        if (replace)
        {
            StartOne();
        }
    }

    [LoggerMessage(EventId = 430, Level = LogLevel.Warning, Message = "Scheduler.SpareProcesses = {Count}, but this node keeps no spare R processes: {Problem}")]
    private partial void LogNoSpares(int count, string problem);

    [LoggerMessage(EventId = 434, Level = LogLevel.Information, Message = "Spare R process {Pid} has loaded shiny and waits for an app")]
    private partial void LogWaiting(int pid);

    [LoggerMessage(EventId = 431, Level = LogLevel.Information, Message = "Worker {WorkerId} for content {Guid} is the spare R process {Pid}")]
    private partial void LogAssigned(string guid, string workerId, int pid);

    [LoggerMessage(EventId = 432, Level = LogLevel.Warning, Message = "A spare R process could not be given content {Guid}: {Reason}; R is started for it instead")]
    private partial void LogAssignFailed(string guid, string reason, Exception exception);

    [LoggerMessage(EventId = 433, Level = LogLevel.Warning, Message = "A spare R process exited with code {ExitCode} before it was used ({Output}); {Failures} of {Limit} in a row, after which no more are started")]
    private partial void LogSpareExited(int exitCode, string output, int failures, int limit);
}
