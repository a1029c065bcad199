using System.Net.Sockets;
using System.Text;
using CliWrap;
using CliWrap.EventStream;
using Connect.Runtime.R;
using Connect.Runtime.Sandbox;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;

namespace Connect.Runtime.Processes;

/// <summary>
/// Starts the R process of a worker with CliWrap: the right R entry point for the app mode, the
/// bundle folder as working directory, the content's environment, and every output line streamed
/// into the content's log in the data directory.
/// </summary>
internal sealed partial class WorkerLauncher(
    ConnectOptions options, RInstallation r, ContentSandbox sandbox, SpareWorkers spares, NodeIdentity node, Metrics.NodeMeters meters, TimeProvider clock,
    ILogger<WorkerLauncher> logger)
{
    /// <summary>How long a worker has to stop after the interrupt signal before its process tree is killed.</summary>
    public static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>A worker that holds its place (port, log file) but has no process yet; see <see cref="Launch"/>.</summary>
    public Worker Create(ContentItem content, Bundle bundle)
    {
        var logDir = Path.Combine(options.DataDir, "logs", content.Guid);
        return new Worker(content.Id, content.Guid, bundle.Id, bundle.AppMode, FreeLoopbackPort(),
            Path.Combine(logDir, $"{node.Name}-{clock.GetUtcNow():yyyyMMddTHHmmss}-{Guid.NewGuid().ToString("N")[..6]}.log"), clock.GetUtcNow());
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

        Directory.CreateDirectory(Path.GetDirectoryName(worker.LogPath)!);
        var bundleDirectory = Path.Combine(options.DataDir, bundle.Path);
        var home = ContentHome(options, content.Guid);
        if (bundle.AppMode == AppModes.Shiny && spares.TryAssign(worker, bundleDirectory, home, environment))
        {
            return;
        }

        var command = sandbox.Wrap(rscript, ["--vanilla", "-e", EntryPoint(bundle, worker.Port)],
            new SandboxView(bundleDirectory, [bundleDirectory], [home], home), content.Guid, environment);

        _ = RunAsync(worker, command);
    }

    /// <summary>The one folder a content item's R processes may write, kept across deploys: their <c>HOME</c>.</summary>
    public static string ContentHome(ConnectOptions options, string guid) => Path.Combine(options.DataDir, "home", guid);

    /// <summary>The line a worker prints once its server listens: the worker is ready when it appears.</summary>
    internal static string ReadyLine(int port) => $"[connect] listening on 127.0.0.1:{port}";

    /// <summary>
    /// The R code that serves the bundle on <paramref name="port"/>, by app mode. It first queues the ready line on
    /// <c>later</c>'s event loop, which httpuv runs only once the server is bound (Shiny's own "Listening on" comes
    /// then too, but Plumber announces itself before it binds): the worker says when it listens, so the node never
    /// takes another process that happened to take the port for the worker.
    /// </summary>
    internal static string EntryPoint(Bundle bundle, int port) => EntryPoint(bundle.AppMode, bundle.PrimaryFile, port);

    /// <inheritdoc cref="EntryPoint(Bundle, int)"/>
    internal static string EntryPoint(string appMode, string? primaryFile, int port)
    {
        var file = primaryFile?.Replace("\\", "\\\\").Replace("\"", "\\\"");
        return $"later::later(function() message(\"{ReadyLine(port)}\"), 0); " + appMode switch
        {
            AppModes.Shiny => $"shiny::runApp(\".\", port = {port}L, host = \"127.0.0.1\", launch.browser = FALSE)",
            AppModes.RmdShiny => $"rmarkdown::run(\"{file}\", shiny_args = list(port = {port}L, host = \"127.0.0.1\", launch.browser = FALSE), auto_reload = FALSE)",
            AppModes.Api => $"plumber::pr_run(plumber::pr(\"{file}\"), host = \"127.0.0.1\", port = {port}L, docs = FALSE)",
            _ => throw new InvalidOperationException($"{appMode} content does not run as a worker"),
        };
    }

    private async Task RunAsync(Worker worker, Command command)
    {
        var exitCode = -1;
        await using var log = OpenLog(worker);
        try
        {
            await foreach (var e in ForkThread.ListenAsync(() => command.ListenAsync(Encoding.UTF8, Encoding.UTF8, worker.Forceful.Token, worker.Graceful.Token)))
            {
                switch (e)
                {
                    case StartedCommandEvent started:
                        worker.Pid = started.ProcessId;
                        LogStarted(worker.ContentGuid, worker.Id, started.ProcessId, worker.Port);
                        break;
                    case StandardOutputCommandEvent output:
                        await OutputAsync(worker, log, output.Text, fromStandardError: false, meters, clock);
                        break;
                    case StandardErrorCommandEvent error:
                        await OutputAsync(worker, log, error.Text, fromStandardError: true, meters, clock);
                        break;
                    case ExitedCommandEvent exited:
                        exitCode = exited.ExitCode;
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped on purpose; CliWrap has signalled or killed the process.
        }
        catch (Exception e)
        {
            worker.AddLogLine($"[connect] the R process could not be run: {e.Message}");
        }

        LogExited(worker.ContentGuid, worker.Id, worker.Pid ?? 0, exitCode);
        await ExitedAsync(worker, log, exitCode);
    }

    /// <summary>A worker's log file in the data directory, appended to line by line as R writes.</summary>
    internal static StreamWriter OpenLog(Worker worker) => new(worker.LogPath, append: true, Encoding.UTF8) { AutoFlush = true };

    /// <summary>The end of a worker: its exit code as the last line of its log, then the worker marked exited.</summary>
    internal static async Task ExitedAsync(Worker worker, StreamWriter log, int exitCode)
    {
        await log.WriteLineAsync($"[connect] worker {worker.Id} exited with code {exitCode}");
        worker.MarkExited(exitCode);
    }

    /// <summary>A line of a worker's output: kept, logged, and the ready line (on standard error) marks the worker ready.</summary>
    internal static async Task OutputAsync(Worker worker, StreamWriter log, string text, bool fromStandardError, Metrics.NodeMeters meters, TimeProvider clock)
    {
        worker.AddLogLine(text);
        await log.WriteLineAsync(text);
        if (fromStandardError && worker.State == WorkerState.Starting && text == ReadyLine(worker.Port))
        {
            worker.MarkReady();
            meters.WorkerStarted(worker.ContentGuid, clock.GetUtcNow() - worker.StartedAt);
        }
    }

    public static void Stop(Worker worker)
    {
        if (worker.State == WorkerState.Exited)
        {
            return;
        }

        worker.State = WorkerState.Stopping;
        worker.Graceful.Cancel();
        worker.Forceful.CancelAfter(StopGracePeriod);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "Started worker {WorkerId} for content {Guid}: pid {Pid}, port {Port}")]
    private partial void LogStarted(string guid, string workerId, int pid, int port);

    [LoggerMessage(EventId = 401, Level = LogLevel.Information, Message = "Worker {WorkerId} of content {Guid} (pid {Pid}) exited with code {ExitCode}")]
    private partial void LogExited(string guid, string workerId, int pid, int exitCode);
}
