using Connect.Runtime.Authentication;
using Connect.Runtime.Proxy;
using Connect.Runtime.Publishing;
using Connect.Shared.Content;
using Connect.Shared.Security;
using Connect.Shared.Access;

namespace Connect.Runtime.Content;

/// <summary>
/// The short way for a file of static or rendered content that the caller may plainly see: public content, or
/// content an API key's owner may view. It answers before routing, cookie sign-in, authorization and the rest of
/// the pipeline, which cost a busy page's assets more than the files themselves (they held the node to ~0.6 of
/// nginx). It answers with the same <see cref="ContentEndpoint.SendFile"/> (validators, ranges, caching headers)
/// and is seen by the access log and metrics, which run before it. Anything else (a session cookie on private
/// content, an unknown key, a missing file, a worker's content, the bare <c>/content/{guid}</c>) goes the whole way,
/// so every refusal and error page stays where it is made.
/// </summary>
internal static class StaticFastPath
{
    public static void UseStaticFastPath(this WebApplication app)
    {
        var lookup = app.Services.GetRequiredService<ContentLookup>();
        var store = app.Services.GetRequiredService<BundleStore>();
        var files = app.Services.GetRequiredService<StaticFiles>();
        var users = app.Services.GetRequiredService<UserCache>();
        app.Use(async (context, next) =>
        {
            var file = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
                ? await TryFindAsync(context, lookup, store, files, users)
                : null;
            if (file is null)
            {
                await next(context);
                return;
            }

            context.Items[Metrics.MetricsSetup.ContentGuidItem] = file.Value.Guid;
            await ContentEndpoint.SendFile(context, file.Value.File, file.Value.IsPublic).ExecuteAsync(context);
        });
    }

    private static async Task<(string Guid, StaticFile File, bool IsPublic)?> TryFindAsync(
        HttpContext context, ContentLookup lookup, BundleStore store, StaticFiles files, UserCache users)
    {
        if (context.IsWebSocketUpgrade() || Split(context.Request.Path.Value) is not ({ } guid, { } relative))
        {
            return null;
        }

        try
        {
            var (content, bundle) = await lookup.FindAsync(guid, context.RequestAborted);
            if (content is null || bundle is null || ContentEndpoint.FileRoot(content, bundle, store) is not ({ } root, { } index))
            {
                return null;
            }

            var isPublic = content.AccessType == AccessTypes.All;
            if (!isPublic && !await KeyMayViewAsync(context, lookup, users, content))
            {
                return null;
            }

            return files.Find(root, relative.Length == 0 ? index : relative) is { } file ? (content.Guid, file, isPublic) : null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A database that is away (and nothing known yet) or any other trouble: the whole way answers it properly.
            return null;
        }
    }

    /// <summary>Whether the request carries an API key whose owner may view the item (the same cached check the sign-in makes).</summary>
    private static async Task<bool> KeyMayViewAsync(HttpContext context, ContentLookup lookup, UserCache users, ContentItem content)
    {
        if (ApiKeyAuthenticationHandler.KeyOf(context.Request) is not { } key
            || await users.KeyOwnerAsync(key, context.RequestAborted) is not { } user)
        {
            return false;
        }

        return await ContentAccess.CanViewAsync(lookup, new Caller(user.Id, user.Username, user.Role), content, context.RequestAborted);
    }

    /// <summary><c>/content/{guid}/{relative}</c> split (relative may be empty: the index); null for any other path, the bare form included.</summary>
    internal static (string Guid, string Relative)? Split(string? path)
    {
        const string prefix = "/content/";
        if (path is null || !path.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var slash = path.IndexOf('/', prefix.Length);
        return slash <= prefix.Length ? null : (path[prefix.Length..slash], path[(slash + 1)..]);
    }
}
