using Connect.Shared.Content;
using Connect.Shared.Data;

namespace Connect.Runtime.Content;

/// <summary>
/// Finds a content item and its active bundle (and a viewer's role on it) for a viewer's request.
/// Answers are kept for <see cref="Freshness"/>, so a busy item costs a database round trip a second
/// instead of two per request; a redeploy (on any node) is therefore seen within that second. While the
/// database is away, what was last known keeps running content served.
/// </summary>
internal sealed class ContentLookup(ContentRepository contents, BundleRepository bundles, TimeProvider clock, DatabaseHealth health)
{
    public static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    private readonly LastAnswerCache<string, (ContentItem? Content, Bundle? Bundle)> _content = new(Freshness, clock, health);
    private readonly LastAnswerCache<(long Content, long User), string?> _roles = new(Freshness, clock, health);

    public Task<(ContentItem? Content, Bundle? Bundle)> FindAsync(string guid, CancellationToken cancellationToken) =>
        _content.GetAsync(guid, async deadline =>
        {
            var content = await contents.GetAsync(guid, deadline);
            var bundle = content?.ActiveBundleId is { } id ? await bundles.GetAsync(id, deadline) : null;
            return (content, bundle);
        }, cancellationToken);

    /// <summary>
    /// The role a signed-in user holds on an item through its permission list, known for the same second
    /// (and, while the database is away, for as long as that lasts).
    /// </summary>
    public Task<string?> RoleOfAsync(long contentId, long userId, CancellationToken cancellationToken) =>
        _roles.GetAsync((contentId, userId), deadline => contents.RoleOfAsync(contentId, userId, deadline), cancellationToken);

    /// <summary>Drops what this node knows of an item at once (after its own deploy or delete).</summary>
    public void Forget(string guid) => _content.Forget(guid);
}
