namespace Connect.Testing;

/// <summary>Waits for a condition with a deadline: the only way tests synchronise with processes.</summary>
public static class Wait
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e)
            {
                last = e;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0}s waiting for {what}" + (last is null ? "" : $" (last error: {last.Message})"));
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>
    /// A wait whose failure carries the last lines of what <paramref name="processes"/> wrote: when a wait on a node
    /// times out in CI, the node's own account of it is the only one there is.
    /// </summary>
    public static async Task ShowingOutputOf(this Task wait, params DotnetProcess[] processes)
    {
        try
        {
            await wait;
        }
        catch (TimeoutException e)
        {
            var outputs = processes.Select(p => $"--- the last lines of process {p.Pid}:\n{p.Tail(60)}");
            throw new TimeoutException($"{e.Message}\n{string.Join('\n', outputs)}", e);
        }
    }
}
