using CliWrap;
using CliWrap.EventStream;

namespace Connect.Runtime.Sandbox;

/// <summary>A sandboxed command and the network namespace and limits made for it, removed once the process has ended.</summary>
internal sealed class SandboxedCommand(Command command, ContentNetwork? network, LimitedProcess limits) : IAsyncDisposable
{
    public Command Command { get; } = command;

    public LimitedProcess Limits { get; } = limits;

    /// <summary>
    /// Runs the command to its end (on a thread of its own; see <see cref="ForkThread"/>), handing every line it prints,
    /// on standard output or error, to <paramref name="line"/>; its exit code.
    /// </summary>
    public async Task<int> RunAsync(Func<string, Task> line, CancellationToken cancellationToken)
    {
        var exitCode = -1;
        await foreach (var e in ForkThread.ListenAsync(() => Command.ListenAsync(cancellationToken)))
        {
            switch (e)
            {
                case StandardOutputCommandEvent output:
                    await line(output.Text);
                    break;
                case StandardErrorCommandEvent error:
                    await line(error.Text);
                    break;
                case ExitedCommandEvent exited:
                    exitCode = exited.ExitCode;
                    break;
            }
        }

        return exitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (network is not null)
        {
            await network.DisposeAsync();
        }

        await Limits.RemoveAsync();
    }
}
