using System.Text;
using CliWrap;
using CliWrap.EventStream;
using Connect.Runtime.Sandbox;

namespace Connect.Runtime.Processes;

/// <summary>
/// The one CliWrap event loop for the R processes of workers, fresh or spare: it starts the process (on a thread that
/// can fork, see <see cref="ForkThread"/>), reports its pid and each line it writes, and answers its exit code.
/// </summary>
internal static class ProcessEvents
{
    /// <summary>
    /// Runs <paramref name="command"/> to its end; <paramref name="forceful"/> kills it, <paramref name="graceful"/>
    /// signals it (and throws <see cref="OperationCanceledException"/> once it is gone). -1 when no exit was seen.
    /// </summary>
    public static async Task<int> RunAsync(
        Command command, CancellationToken forceful, CancellationToken graceful, Action<int> started, Func<string, bool, Task> line)
    {
        var exitCode = -1;
        await foreach (var e in ForkThread.ListenAsync(() => command.ListenAsync(Encoding.UTF8, Encoding.UTF8, forceful, graceful)))
        {
            switch (e)
            {
                case StartedCommandEvent start:
                    started(start.ProcessId);
                    break;
                case StandardOutputCommandEvent output:
                    await line(output.Text, false);
                    break;
                case StandardErrorCommandEvent error:
                    await line(error.Text, true);
                    break;
                case ExitedCommandEvent exited:
                    exitCode = exited.ExitCode;
                    break;
            }
        }

        return exitCode;
    }
}
