using Connect.Runtime.Authentication;
using Connect.Shared.Content;

namespace Connect.Runtime.Publishing;

/// <summary>Loads a content item for a caller, or the JSON error that says why they cannot have it.</summary>
internal static class ContentAccess
{
    public static async Task<(ContentItem? Content, IResult? Error)> ForChangeAsync(ContentRepository contents, Caller caller, long id, CancellationToken cancellationToken) =>
        Check(await contents.GetAsync(id, cancellationToken), caller, $"application {id}");

    public static async Task<(ContentItem? Content, IResult? Error)> ForChangeAsync(ContentRepository contents, Caller caller, string guid, CancellationToken cancellationToken) =>
        Check(await contents.GetAsync(guid, cancellationToken), caller, $"content {guid}");

    private static (ContentItem?, IResult?) Check(ContentItem? content, Caller caller, string what)
    {
        if (content is null)
        {
            return (null, ApiErrors.NotFound($"{what} does not exist"));
        }

        if (!caller.CanChange(content))
        {
            return (null, ApiErrors.Forbidden($"{what} belongs to {content.OwnerUsername}; only its owner or an administrator may change it"));
        }

        return (content, null);
    }
}
