using Connect.Runtime.R;
using Connect.Shared.Cluster;
using Connect.Shared.Content;
using Connect.Shared.Tasks;

namespace Connect.Runtime.Publishing;

/// <summary>
/// Deploys a bundle as a task on this node (the node that received the request): checks the R
/// packages the manifest lists, renders an R Markdown document, then makes the bundle active.
/// Any failure leaves the previous bundle active and is reported in the task.
/// </summary>
internal sealed partial class Deployer(
    ContentRepository contents,
    TaskRepository tasks,
    BundleStore store,
    RInstallation r,
    RMarkdownRenderer renderer,
    NodeIdentity node,
    Content.ContentLookup lookup,
    IHostApplicationLifetime lifetime,
    ILogger<Deployer> logger)
{
    public async Task<string> StartAsync(ContentItem content, Bundle bundle, long userId)
    {
        var taskId = await tasks.CreateAsync("deploy", node.Name, content.Id, userId);
        _ = Task.Run(() => RunAsync(taskId, content, bundle, lifetime.ApplicationStopping));
        return taskId;
    }

    private async Task RunAsync(string taskId, ContentItem content, Bundle bundle, CancellationToken cancellationToken)
    {
        Task Log(string line) => tasks.AppendAsync(taskId, [line], CancellationToken.None);
        try
        {
            await Log($"Deploying bundle {bundle.Id} ({bundle.AppMode}) of '{content.Name}' on node {node.Name}");
            if (bundle.Packages.Count > 0)
            {
                await Log($"Checking {bundle.Packages.Count} R package(s) against {r.Describe()}");
                var missing = await r.MissingPackagesAsync(bundle.Packages, cancellationToken);
                if (missing.Count > 0)
                {
                    await FailAsync(taskId, content, $"R packages this content needs are not installed on this server: {string.Join(", ", missing)}");
                    return;
                }
            }

            string? output = null;
            if (bundle.AppMode == AppModes.RmdStatic)
            {
                (output, var error) = await RenderAsync(taskId, content, bundle, Log, cancellationToken);
                if (error is not null)
                {
                    await FailAsync(taskId, content, error);
                    return;
                }
            }

            await contents.ActivateBundleAsync(content.Id, bundle, output, CancellationToken.None);
            lookup.Forget(content.Guid);
            await Log($"Bundle {bundle.Id} is now live at /content/{content.Guid}/");
            await tasks.FinishAsync(taskId, 0, null, cancellationToken: CancellationToken.None);
            LogDeployed(content.Guid, bundle.Id, taskId);
        }
        catch (Exception e)
        {
            await FailAsync(taskId, content, cancellationToken.IsCancellationRequested ? "the node stopped during the deploy" : e.Message);
        }
    }

    /// <summary>Re-renders the active R Markdown bundle as a task on this node; the old output serves until the new one succeeds.</summary>
    public async Task<string> StartRenderAsync(ContentItem content, Bundle bundle, long userId)
    {
        var taskId = await tasks.CreateAsync("render", node.Name, content.Id, userId);
        _ = Task.Run(async () =>
        {
            Task Log(string line) => tasks.AppendAsync(taskId, [line], CancellationToken.None);
            try
            {
                var (output, error) = await RenderAsync(taskId, content, bundle, Log, lifetime.ApplicationStopping);
                if (error is not null)
                {
                    await FailAsync(taskId, content, error);
                }
                else if (!await contents.SetOutputAsync(content.Id, bundle.Id, output!, CancellationToken.None))
                {
                    await FailAsync(taskId, content, $"bundle {bundle.Id} is no longer active; this rendering was not published");
                }
                else
                {
                    lookup.Forget(content.Guid);
                    await Log($"The new rendering is live at /content/{content.Guid}/");
                    await tasks.FinishAsync(taskId, 0, null, cancellationToken: CancellationToken.None);
                }
            }
            catch (Exception e)
            {
                await FailAsync(taskId, content, e.Message);
            }
        });
        return taskId;
    }

    /// <summary>Renders into a folder of its own (relative to the data directory); a failed render leaves no folder.</summary>
    private async Task<(string? Output, string? Error)> RenderAsync(string taskId, ContentItem content, Bundle bundle, Func<string, Task> log, CancellationToken cancellationToken)
    {
        var output = Path.Combine("output", bundle.ContentId.ToString(), $"{bundle.Id}-{taskId}");
        await log($"Rendering {bundle.PrimaryFile}");
        var exitCode = await renderer.RenderAsync(content, bundle, store.FullPath(output), log, cancellationToken);
        if (exitCode == 0)
        {
            return (output, null);
        }

        if (Directory.Exists(store.FullPath(output)))
        {
            Directory.Delete(store.FullPath(output), recursive: true);
        }
        return (null, $"rendering {bundle.PrimaryFile} failed: R exited with code {exitCode} (its messages are above)");
    }

    private async Task FailAsync(string taskId, ContentItem content, string error)
    {
        LogFailed(content.Guid, taskId, error);
        try
        {
            await tasks.AppendAsync(taskId, [$"Deploy failed: {error}"], CancellationToken.None);
            await tasks.FinishAsync(taskId, 1, error, cancellationToken: CancellationToken.None);
        }
        catch (Exception e)
        {
            LogFailed(content.Guid, taskId, $"and the failure could not be recorded: {e.Message}");
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Deployed bundle {BundleId} of content {Guid} (task {TaskId})")]
    private partial void LogDeployed(string guid, long bundleId, string taskId);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Deploy of content {Guid} failed (task {TaskId}): {Error}")]
    private partial void LogFailed(string guid, string taskId, string error);
}
