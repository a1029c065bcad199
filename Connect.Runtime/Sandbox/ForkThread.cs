using System.Collections.Concurrent;
using CliWrap.EventStream;

namespace Connect.Runtime.Sandbox;

/// <summary>
/// The one thread that starts every sandboxed process. bubblewrap's <c>--die-with-parent</c> (PR_SET_PDEATHSIG) fires
/// when the <em>thread</em> that forked it ends, not the node: a worker started from a thread-pool thread was killed
/// (SIGKILL, exit 137) as soon as the pool retired that thread after a busy spell, as 2,000 open Shiny sessions
/// showed. This thread lives as long as the node, so a process dies with the node and not before.
/// </summary>
internal static class ForkThread
{
    private static readonly BlockingCollection<Action> Starts = [];

    static ForkThread()
    {
        var thread = new Thread(() =>
        {
            foreach (var start in Starts.GetConsumingEnumerable())
            {
                start();
            }
        })
        {
            IsBackground = true,
            Name = "connect-fork",
        };
        thread.Start();
    }

    /// <summary>Runs <paramref name="start"/> (which starts a process before it returns) on the fork thread.</summary>
    public static Task<T> RunAsync<T>(Func<T> start)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Starts.Add(() =>
        {
            try
            {
                done.SetResult(start());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task;
    }

    /// <summary>
    /// A CliWrap event stream whose process is started on the fork thread: CliWrap starts the process within the first
    /// step of the stream, so that step is taken there and the rest on any thread.
    /// </summary>
    public static async IAsyncEnumerable<CommandEvent> ListenAsync(Func<IAsyncEnumerable<CommandEvent>> listen)
    {
        var (events, first) = await RunAsync(() =>
        {
            var enumerator = listen().GetAsyncEnumerator();
            return (enumerator, enumerator.MoveNextAsync().AsTask());
        });
        await using (events)
        {
            for (var more = await first; more; more = await events.MoveNextAsync())
            {
                yield return events.Current;
            }
        }
    }
}
