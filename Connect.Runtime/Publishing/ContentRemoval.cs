using Connect.Runtime.Content;
using Connect.Runtime.Processes;
using Connect.Shared.Cluster;
using Connect.Shared.Content;
using Connect.Shared.Metrics;

namespace Connect.Runtime.Publishing;

/// <summary>
/// Deleting an item: its rows first (once they are gone nothing serves its files, so no request breaks mid-way), then
/// its workers stopped, here at once (waiting for their processes to end) and on every other node through the node
/// command queue, then its files removed by walks that never follow a link. The last step is safe on its own even
/// against a worker that still runs somewhere and swaps links into its home; stopping first makes it tidy.
/// </summary>
internal sealed partial class ContentRemoval(
    ContentRepository contents, BundleRepository bundles, ContentLookup lookup, BundleStore store, WorkerPool pool, NodeRegistry nodes, NodeIdentity node, NodeCommandRepository commands,
    ILogger<ContentRemoval> logger)
{
    public async Task RemoveAsync(ContentItem content, string requestedBy, CancellationToken cancellationToken)
    {
        var itsBundles = await bundles.ListAsync(content.Id, cancellationToken);
        await contents.DeleteAsync(content.Id, cancellationToken);
        lookup.Forget(content.Guid);
        await pool.StopContentAsync(content.Id, $"its content was deleted by {requestedBy}");
        foreach (var other in await nodes.ListAsync(cancellationToken))
        {
            if (other.Name != node.Name && other.Status != NodeStatus.Stopped)
            {
                await commands.RequestAsync(other.Name, NodeCommandRepository.StopContent, content.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    requestedBy, cancellationToken);
            }
        }

        try
        {
            store.DeleteContentFiles(content, itsBundles);
        }
        catch (IOException e)
        {
            // The rows are gone; what is left on disk is only space, and is named so an administrator can remove it.
            LogFilesLeft(content.Guid, e);
        }
    }

    [LoggerMessage(EventId = 260, Level = LogLevel.Warning, Message = "Content {Guid} was deleted, but some of its files could not be removed")]
    private partial void LogFilesLeft(string guid, Exception e);
}
