namespace Connect.Shared.Operations;

/// <summary>Thrown when work waited for a maintenance pause longer than <see cref="MaintenanceGate.MaxWait"/>; the request gets a 503.</summary>
public sealed class MaintenancePausedException(PauseHolder holder)
    : Exception($"the server is paused for maintenance ({holder.Reason}, by {holder.Holder}, since {holder.StartedAt:u}); nothing was changed, try again shortly");

/// <summary>
/// Where this node's changes to the data directory wait for a maintenance pause: before a deploy or render task
/// is created, before an upload is stored, before content is deleted. A pause lasts seconds to minutes, so the
/// request simply waits (rsconnect sees a slow call, not an error); only a pause longer than <see cref="MaxWait"/>
/// turns into a 503.
/// </summary>
public sealed class MaintenanceGate(MaintenancePause pause, TimeProvider clock)
{
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + MaxWait;
        while (await pause.ActiveAsync(cancellationToken) is { } holder)
        {
            if (clock.GetUtcNow() >= deadline)
            {
                throw new MaintenancePausedException(holder);
            }

            await Task.Delay(CheckEvery, clock, cancellationToken);
        }
    }
}
