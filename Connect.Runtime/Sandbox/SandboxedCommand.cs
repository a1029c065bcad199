using CliWrap;

namespace Connect.Runtime.Sandbox;

/// <summary>A sandboxed command and the network namespace and limits made for it, removed once the process has ended.</summary>
internal sealed class SandboxedCommand(Command command, ContentNetwork? network, LimitedProcess limits) : IAsyncDisposable
{
    public Command Command { get; } = command;

    public LimitedProcess Limits { get; } = limits;

    public async ValueTask DisposeAsync()
    {
        if (network is not null)
        {
            await network.DisposeAsync();
        }

        await Limits.RemoveAsync();
    }
}
