using CliWrap;
using Connect.Runtime.Sandbox;

namespace Connect.Runtime.Tests.Sandbox;

/// <summary>
/// bubblewrap's --die-with-parent kills the sandbox when the thread that started it ends. Processes started through the
/// fork thread outlive the (thread-pool) thread that asked for them; one started on such a thread directly does not.
/// </summary>
public sealed class ForkThreadTests
{
    [Fact]
    public async Task A_sandbox_started_through_the_fork_thread_outlives_the_thread_that_asked_for_it()
    {
        var direct = StartFromAThreadThatThenEnds(throughForkThread: false);
        var forked = StartFromAThreadThatThenEnds(throughForkThread: true);
        try
        {
            // The directly started one dies with its thread (the kernel's doing, at once): proof the signal came.
            var ended = await direct.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotEqual(0, ended.ExitCode);

            Assert.False(forked.Task.IsCompleted, "the sandbox started through the fork thread died with the thread that asked for it");
            Assert.True(Directory.Exists($"/proc/{forked.ProcessId}"));
        }
        finally
        {
            System.Diagnostics.Process.GetProcessById(forked.ProcessId).Kill();
            await forked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private static CommandTask<CommandResult> StartFromAThreadThatThenEnds(bool throughForkThread)
    {
        CommandTask<CommandResult>? started = null;
        var spoke = false;
        using var running = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            // bubblewrap arms --die-with-parent before it runs the command: once the command speaks, the thread may end.
            var command = Cli.Wrap("bwrap").WithArguments(["--die-with-parent", "--dev-bind", "/", "/", "sh", "-c", "echo running; exec sleep 300"])
                .WithStandardOutputPipe(PipeTarget.ToDelegate(_ => running.Set()))
                .WithValidation(CommandResultValidation.None);
            started = throughForkThread ? ForkThread.RunAsync(() => command.ExecuteAsync()).GetAwaiter().GetResult() : command.ExecuteAsync();
            spoke = running.Wait(TimeSpan.FromSeconds(30));
        });
        thread.Start();
        thread.Join();
        Assert.True(spoke, "the sandboxed command did not start");
        return started!;
    }
}
