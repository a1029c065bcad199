using Connect.Runtime.R;
using Connect.Shared.Cluster;
using Connect.Shared.Content;
using Connect.Shared.Files;
using Connect.Shared.Tasks;

namespace Connect.Runtime.Publishing;

/// <summary>
/// Deploys a bundle as a task on this node (the node that received the request): restores the R
/// packages the manifest lists, renders an R Markdown document, then makes the bundle active.
/// Any failure leaves the previous bundle active and is reported in the task.
/// </summary>
internal sealed partial class Deployer(
    ContentRepository contents,
    TaskRepository tasks,
    BundleStore store,
    Packages.PackageRestore packages,
    RMarkdownRenderer renderer,
    NodeIdentity node,
    Content.ContentLookup lookup,
    DeployQueue queue,
    Shared.Operations.MaintenanceGate maintenance,
    TimeProvider clock,
    ILogger<Deployer> logger)
{
    /// <summary>How long a finished deploy keeps trying to record its result while the database is away.</summary>
    private static readonly TimeSpan RecordFor = TimeSpan.FromMinutes(2);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Hold> _holds = new();

    /// <summary>What the work on a held task and its heartbeat tell each other, so each thing is said once and truly.</summary>
    private sealed class Hold
    {
        private int _claimLostSaid;

        /// <summary>
        /// Set just before the task's result is written: a heartbeat that finds the task finished from then on is seeing
        /// that write (which may well have made the work live), not a claim lost to someone else.
        /// </summary>
        public volatile bool Finishing;

        public bool FirstToSayClaimLost() => Interlocked.Exchange(ref _claimLostSaid, 1) == 0;
    }

    public async Task<string> StartAsync(ContentItem content, Bundle bundle, long userId)
    {
        await maintenance.WaitAsync(CancellationToken.None);
        var task = await tasks.CreateHeldAsync("deploy", node.Name, node.InstanceId, content.Id, userId);
        queue.Enqueue(stopping => HoldAsync(task, content, stopping, (output, held) => DeployAsync(task, output, content, bundle, held)));
        return task.Id;
    }

    /// <summary>Re-renders the active R Markdown bundle as a task on this node; the old output serves until the new one succeeds.</summary>
    public async Task<string> StartRenderAsync(ContentItem content, Bundle bundle, long userId)
    {
        await maintenance.WaitAsync(CancellationToken.None);
        var task = await tasks.CreateHeldAsync("render", node.Name, node.InstanceId, content.Id, userId);
        queue.Enqueue(stopping => HoldAsync(task, content, stopping, (output, held) => RerenderAsync(task, output, content, bundle, held)));
        return task.Id;
    }

    /// <summary>
    /// Runs <paramref name="work"/> while heartbeating the task; the token it gets is cancelled when the node
    /// stops or when the task stops being this node's (a poll found it abandoned and failed it).
    /// </summary>
    private async Task HoldAsync(HeldTask task, ContentItem content, CancellationToken stopping, Func<TaskOutput, CancellationToken, Task> work)
    {
        var output = new TaskOutput(tasks, task.Id, clock);
        var hold = _holds[task.Id] = new Hold();
        using var held = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var heartbeat = new PeriodicTimer(TaskRepository.HeartbeatInterval, clock);
        var beating = Task.Run(async () =>
        {
            while (await heartbeat.WaitForNextTickAsync(CancellationToken.None) && !held.IsCancellationRequested)
            {
                try
                {
                    if (!await tasks.HeartbeatAsync(task, held.Token) && !hold.Finishing)
                    {
                        if (hold.FirstToSayClaimLost())
                        {
                            LogClaimLost(content.Guid, task.Id);
                        }

                        await held.CancelAsync();
                    }
                }
                catch (Exception e) when (!held.IsCancellationRequested)
                {
                    // The database is away: try again at the next beat; a poll fails the task if this goes on.
                    LogHeartbeatFailed(e, task.Id);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });

        try
        {
            await work(output, held.Token);
        }
        catch (Exception) when (held.IsCancellationRequested)
        {
            // Otherwise its claim was lost: the heartbeat said so, once, and whoever judged the task abandoned failed it.
            if (stopping.IsCancellationRequested)
            {
                await FailAsync(task, output, content, $"the node stopped during the {task.Kind}; nothing of it went live");
            }
        }
        catch (Exception e)
        {
            LogCrashed(e, task.Id);
            await FailAsync(task, output, content, $"the {task.Kind} failed unexpectedly: {e.Message}");
        }
        finally
        {
            await held.CancelAsync();
            heartbeat.Dispose();
            await beating;
            _holds.TryRemove(task.Id, out _);
        }
    }

    private async Task DeployAsync(HeldTask task, TaskOutput output, ContentItem content, Bundle bundle, CancellationToken held)
    {
        Task Log(string line) => output.WriteAsync(line);
        await Log($"Deploying bundle {bundle.Id} ({bundle.AppMode}) of '{content.Name}' on node {node.Name}");
        if (await packages.RestoreAsync(content, bundle.Id, store.FullPath(bundle.Path), Log, held) is { } packagesFailed)
        {
            await FailAsync(task, output, content, packagesFailed);
            return;
        }

        string? rendered = null;
        if (bundle.AppMode == AppModes.RmdStatic)
        {
            (rendered, var error) = await RenderAsync(task.Id, content, bundle, Log, held);
            if (error is not null)
            {
                await FailAsync(task, output, content, error);
                return;
            }
        }

        var outcome = await RecordAsync(task, output, content, $"Bundle {bundle.Id} is now live at /content/{content.Guid}/", async (connection, transaction) =>
            await contents.ActivateBundleAsync(connection, transaction, content.Id, bundle, rendered, task.Seq)
                ? null
                : "a deploy of this content that was started later is live already; this older one was not made live");
        Finished(outcome, task, content, rendered);
        if (outcome == CompletionOutcome.Applied)
        {
            LogDeployed(content.Guid, bundle.Id, task.Id);
        }
    }

    private async Task RerenderAsync(HeldTask task, TaskOutput output, ContentItem content, Bundle bundle, CancellationToken held)
    {
        var (rendered, error) = await RenderAsync(task.Id, content, bundle, output.WriteAsync, held);
        if (error is not null)
        {
            await FailAsync(task, output, content, error);
            return;
        }

        var outcome = await RecordAsync(task, output, content, $"The new rendering is live at /content/{content.Guid}/", async (connection, transaction) =>
            await contents.SetOutputAsync(connection, transaction, content.Id, bundle.Id, rendered!)
                ? null
                : $"bundle {bundle.Id} is no longer active; this rendering was not published");
        Finished(outcome, task, content, rendered);
    }

    /// <summary>
    /// Finishes the task and makes its result live in one transaction, retrying while the database is
    /// away (for <see cref="RecordFor"/>): the task's result and what is live never disagree.
    /// </summary>
    private async Task<CompletionOutcome> RecordAsync(HeldTask task, TaskOutput output, ContentItem content, string successLine, Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, Task<string?>> apply)
    {
        Finishing(task);
        return await Connect.Shared.Data.DatabaseWait.ForAsync(async attempt =>
        {
            await output.FlushAsync(attempt);
            return await tasks.CompleteAsync(task, successLine, apply, attempt);
        }, RecordFor, CancellationToken.None, e => LogRecordRetry(e, content.Guid, task.Id));
    }

    private void Finished(CompletionOutcome outcome, HeldTask task, ContentItem content, string? output)
    {
        if (outcome == CompletionOutcome.Applied)
        {
            lookup.Forget(content.Guid);
            return;
        }

        // Not live, so not kept: a refused or abandoned render's output is removed.
        if (output is not null)
        {
            NoFollowTree.Delete(store.FullPath(output)); // content wrote it: links in it are removed, never followed
        }

        if (outcome == CompletionOutcome.ClaimLost && (!_holds.TryGetValue(task.Id, out var hold) || hold.FirstToSayClaimLost()))
        {
            LogClaimLost(content.Guid, task.Id);
        }
    }

    /// <summary>Renders into a folder of its own (relative to the data directory); a failed render leaves no folder.</summary>
    private async Task<(string? Output, string? Error)> RenderAsync(string taskId, ContentItem content, Bundle bundle, Func<string, Task> log, CancellationToken cancellationToken)
    {
        var output = DataLayout.RenderOutput(bundle.ContentId, $"{bundle.Id}-{taskId}");
        await log($"Rendering {bundle.PrimaryFile}");
        var library = await packages.FoldersForAsync(content, bundle.Id, store.FullPath(bundle.Path), log, cancellationToken);
        var exitCode = await renderer.RenderAsync(content, bundle, library, store.FullPath(output), log, cancellationToken);
        if (exitCode == 0)
        {
            return (output, null);
        }

        NoFollowTree.Delete(store.FullPath(output));
        return (null, $"rendering {bundle.PrimaryFile} failed: R exited with code {exitCode} (its messages are above)");
    }

    /// <summary>From here on, a heartbeat that finds the task finished is seeing this holder's own result being written.</summary>
    private void Finishing(HeldTask task)
    {
        if (_holds.TryGetValue(task.Id, out var hold))
        {
            hold.Finishing = true;
        }
    }

    private async Task FailAsync(HeldTask task, TaskOutput output, ContentItem content, string error)
    {
        Finishing(task);
        LogFailed(task.Kind == "render" ? "Render" : "Deploy", content.Guid, task.Id, error);
        try
        {
            await output.FlushAsync();
            await tasks.FailAsync(task, error);
        }
        catch (Exception e)
        {
            // A poll fails the task once its heartbeat is stale, so the client still learns it failed.
            LogFailRecordFailed(e, content.Guid, task.Id);
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Deployed bundle {BundleId} of content {Guid} (task {TaskId})")]
    private partial void LogDeployed(string guid, long bundleId, string taskId);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "{What} of content {Guid} failed (task {TaskId}): {Error}")]
    private partial void LogFailed(string what, string guid, string taskId, string error);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Task {TaskId} of content {Guid} is no longer this node's (it was failed as abandoned); nothing of it goes live")]
    private partial void LogClaimLost(string guid, string taskId);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Could not heartbeat task {TaskId}")]
    private partial void LogHeartbeatFailed(Exception e, string taskId);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Could not record the result of task {TaskId} of content {Guid} yet; retrying")]
    private partial void LogRecordRetry(Exception e, string guid, string taskId);

    [LoggerMessage(EventId = 305, Level = LogLevel.Error, Message = "Could not record the failure of task {TaskId} of content {Guid}")]
    private partial void LogFailRecordFailed(Exception e, string guid, string taskId);

    [LoggerMessage(EventId = 306, Level = LogLevel.Error, Message = "Task {TaskId} crashed")]
    private partial void LogCrashed(Exception e, string taskId);
}
