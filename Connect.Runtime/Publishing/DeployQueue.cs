using System.Threading.Channels;

namespace Connect.Runtime.Publishing;

/// <summary>
/// Runs deploys and renders in the background, owned by the host: each starts as soon as it is queued,
/// and when the node stops, the ones still running are cancelled (their tasks fail, nothing goes live)
/// and waited for, instead of being cut off mid-write.
/// </summary>
internal sealed partial class DeployQueue(ILogger<DeployQueue> logger) : BackgroundService
{
    private readonly Channel<Func<CancellationToken, Task>> _queue = Channel.CreateUnbounded<Func<CancellationToken, Task>>();

    public void Enqueue(Func<CancellationToken, Task> work)
    {
        if (!_queue.Writer.TryWrite(work))
        {
            throw new InvalidOperationException("the node is stopping and takes no more deploys");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = new List<Task>();
        try
        {
            await foreach (var work in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                running.RemoveAll(t => t.IsCompleted);
                running.Add(RunAsync(work, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        _queue.Writer.TryComplete();
        await Task.WhenAll(running);
    }

    private async Task RunAsync(Func<CancellationToken, Task> work, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Run(() => work(stoppingToken), CancellationToken.None);
        }
        catch (Exception e)
        {
            LogCrashed(e);
        }
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Error, Message = "A deploy or render crashed")]
    private partial void LogCrashed(Exception e);
}
