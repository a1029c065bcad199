using System.Text;
using Connect.Runtime.R;
using Connect.Runtime.Sandbox;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Files;

namespace Connect.Runtime.Processes;

/// <summary>
/// Starts the R process of a worker with CliWrap: the right R entry point for the app mode, the
/// bundle folder as working directory, the content's environment, and every output line streamed
/// into the content's log in the data directory.
/// </summary>
internal sealed partial class WorkerLauncher(
    ConnectOptions options, RInstallation r, ContentSandbox sandbox, SpareWorkers spares, NodeIdentity node, Lazy<NodeRuntimeFolder> runtime,
    Packages.PackageRestore packages, Metrics.NodeMeters meters, TimeProvider clock, ILogger<WorkerLauncher> logger) : IWorkerLauncher
{
    /// <summary>How long a worker has to stop after the interrupt signal before its process tree is killed.</summary>
    public static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>A worker that holds its place (log file, uid) but has no process yet; see <see cref="Launch"/>.</summary>
    public Worker Create(ContentItem content, Bundle bundle)
    {
        var logDir = DataLayout.ContentLogs(options.DataDir, content.Guid);
        var id = Guid.NewGuid().ToString("N")[..12];
        RunAsAccount? user;
        try
        {
            user = sandbox.UserFor(content);
        }
        catch (InvalidOperationException)
        {
            user = null; // Launch reports it
        }

        // Its socket folder is made (and named) by Launch, where a runtime folder that cannot be used is the worker's to report.
        return new Worker(id, content.Id, content.Guid, bundle.Id, bundle.AppMode, socketFolder: "",
            Path.Combine(logDir, $"{node.Name}-{clock.GetUtcNow():yyyyMMddTHHmmss}-{Guid.NewGuid().ToString("N")[..6]}.log"), clock.GetUtcNow(), user?.Uid ?? (RunAsAccount.NodeIsRoot ? null : RunAsAccount.NodeUid));
    }

    public void Launch(Worker worker, ContentItem content, Bundle bundle, IReadOnlyDictionary<string, string> environment)
    {
        var rscript = r.Rscript;
        if (rscript is null)
        {
            worker.AddLogLine($"[connect] R is not installed ({r.Describe()})");
            worker.MarkExited(-1);
            return;
        }

        if (sandbox.Problem is { } problem)
        {
            worker.AddLogLine($"[connect] {problem}");
            worker.MarkExited(-1);
            return;
        }

        var bundleDirectory = Path.Combine(options.DataDir, bundle.Path);
        var home = DataLayout.ContentHome(options.DataDir, content.Guid);
        RunAsAccount? user;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(worker.LogPath)!);
            WorkerLog.Begin(worker, $"[connect] worker {worker.Id} of {content.Guid} starting on node {node.Name}");
            user = sandbox.UserFor(content);
            // A spare runs as the RunAs user with the system library: only an item that runs as that user, with no
            // packages of its own, may become one.
            if (bundle.AppMode == AppModes.Shiny && user?.Uid == sandbox.Account?.Uid && !packages.UsesCache(bundle.Id)
                && spares.TryAssign(worker, bundleDirectory, home, environment))
            {
                return; // the spare's own socket folder is the worker's now
            }

            worker.SocketFolder = WorkerSocket.Create(runtime.Value, worker.Id, user);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            worker.AddLogLine($"[connect] the worker could not be set up: {e.Message}");
            worker.MarkExited(-1);
            return;
        }

        var view = new SandboxView(bundleDirectory, [bundleDirectory], [home], home, worker.SocketFolder);
        _ = RunAsync(worker, async ct =>
        {
            // Packages built again here (a cleared cache, a new R) finish even when this worker gives up at InitTimeout,
            // so the next start finds them rather than starting the same build over.
            var library = await packages.FoldersForAsync(content, bundle.Id, bundleDirectory, line =>
            {
                worker.AddLogLine("[connect] " + line);
                return Task.CompletedTask;
            }, CancellationToken.None);
            return await sandbox.PrepareAsync(rscript, ["--vanilla", "-e", EntryPoint(bundle)], view with { Library = library }, user, content.Guid, environment, ct,
                memoryLimit: content.Overrides.MemoryLimit);
        });
    }

    /// <summary>The line a worker prints once its server listens: the worker is ready when it appears.</summary>
    internal const string ReadyLine = "[connect] listening on " + WorkerSocket.InsidePath;

    /// <summary>
    /// The R code that serves the bundle on the worker's socket, by app mode. It first queues the ready line on
    /// <c>later</c>'s event loop, which httpuv runs only once the server is bound (Shiny's own "Listening on" comes
    /// then too, but Plumber announces itself before it binds). Shiny and R Markdown take a socket path for a port
    /// (httpuv's pipe server, as Shiny Server runs apps); Plumber asks httpuv for a TCP server, so in this process
    /// httpuv's <c>startServer</c> is made to start the pipe server instead. The socket is made 0700 (mask 077).
    /// </summary>
    internal static string EntryPoint(Bundle bundle) => EntryPoint(bundle.AppMode, bundle.PrimaryFile);

    /// <inheritdoc cref="EntryPoint(Bundle)"/>
    internal static string EntryPoint(string appMode, string? primaryFile)
    {
        var file = primaryFile?.Replace("\\", "\\\\").Replace("\"", "\\\"");
        const string socket = $"structure(\"{WorkerSocket.InsidePath}\", mask = strtoi(\"077\", 8L))";
        return $"later::later(function() message(\"{ReadyLine}\"), 0); " + appMode switch
        {
            AppModes.Shiny => $"shiny::runApp(\".\", port = {socket}, launch.browser = FALSE)",
            AppModes.RmdShiny => $"rmarkdown::run(\"{file}\", shiny_args = list(port = {socket}, launch.browser = FALSE), auto_reload = FALSE)",
            AppModes.Api => $"local({{ socket <- {socket}; utils::assignInNamespace(\"startServer\", function(host, port, app, quiet = FALSE) "
                + "httpuv::startPipeServer(socket, attr(socket, \"mask\"), app, quiet = quiet), \"httpuv\") }); "
                + $"plumber::pr_run(plumber::pr(\"{file}\"), port = 1L, docs = TRUE, swaggerCallback = NULL)",
            _ => throw new InvalidOperationException($"{appMode} content does not run as a worker"),
        };
    }

    private async Task RunAsync(Worker worker, Func<CancellationToken, Task<SandboxedCommand>> prepare)
    {
        var exitCode = -1;
        await using var log = new WorkerLog(worker);
        SandboxedCommand? sandboxed = null;
        try
        {
            sandboxed = await prepare(worker.Forceful.Token);
            var command = sandboxed.Command;
            exitCode = await ProcessEvents.RunAsync(command, worker.Forceful.Token, worker.Graceful.Token,
                pid =>
                {
                    worker.Pid = pid;
                    LogStarted(worker.ContentGuid, worker.Id, pid);
                },
                (text, fromStandardError) => OutputAsync(worker, log, text, fromStandardError, meters, clock));
        }

        catch (OperationCanceledException)
        {
            // Stopped on purpose; CliWrap has signalled or killed the process.
        }
        catch (Exception e)
        {
            worker.AddLogLine($"[connect] the R process could not be run: {e.Message}");
        }
        finally
        {
            // Whatever happened above, the worker ends here: one left "starting" or "stopping" with no process would
            // hold its place in the pool (and a stopping node would wait for it) for good.
            try
            {
                if (sandboxed is not null)
                {
                    await Ended(worker, log, sandboxed.Limits);
                    await sandboxed.DisposeAsync();
                }

                WorkerSocket.Remove(worker.SocketFolder);
            }
            finally
            {
                LogExited(worker.ContentGuid, worker.Id, worker.Pid ?? 0, exitCode);
                await ExitedAsync(worker, log, exitCode);
            }
        }
    }

    /// <summary>Says in the worker's log, and in the process list, when it was stopped for going over its memory limit.</summary>
    internal static async Task Ended(Worker worker, WorkerLog log, LimitedProcess limits)
    {
        if (limits.OverMemory)
        {
            worker.ExitReason = $"memory limit: it went over its {new Shared.Configuration.ByteSize(limits.MemoryBytes)} and was stopped";
            worker.AddLogLine("[connect] " + worker.ExitReason);
            await log.WriteLineAsync("[connect] " + worker.ExitReason);
        }
    }

    /// <summary>The end of a worker: its exit code as the last line of its log, then the worker marked exited.</summary>
    internal static async Task ExitedAsync(Worker worker, WorkerLog log, int exitCode)
    {
        await log.WriteLineAsync($"[connect] worker {worker.Id} exited with code {exitCode}");
        worker.MarkExited(exitCode);
    }

    /// <summary>A line of a worker's output: kept, logged, and the ready line (on standard error) marks the worker ready.</summary>
    internal static async Task OutputAsync(Worker worker, WorkerLog log, string text, bool fromStandardError, Metrics.NodeMeters meters, TimeProvider clock)
    {
        worker.AddLogLine(text);
        await log.WriteLineAsync(text);
        if (fromStandardError && worker.State == WorkerState.Starting && text == ReadyLine)
        {
            worker.MarkReady();
            meters.WorkerStarted(worker.ContentGuid, clock.GetUtcNow() - worker.StartedAt);
        }
    }

    public void Stop(Worker worker)
    {
        if (worker.State == WorkerState.Exited)
        {
            return;
        }

        worker.State = WorkerState.Stopping;
        worker.Graceful.Cancel();
        worker.Forceful.CancelAfter(StopGracePeriod);
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Started worker {WorkerId} for content {Guid}: pid {Pid}")]
    private partial void LogStarted(string guid, string workerId, int pid);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Worker {WorkerId} of content {Guid} (pid {Pid}) exited with code {ExitCode}")]
    private partial void LogExited(string guid, string workerId, int pid, int exitCode);
}
