using Connect.Shared.Files;
using Connect.Shared.Configuration;
using Connect.Shared.Web;
using Connect.Runtime.Authentication;
using Connect.Runtime.Proxy;
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
        var dataDir = app.Services.GetRequiredService<ConnectOptions>().DataDir;
        var files = app.Services.GetRequiredService<StaticFiles>();
        var users = app.Services.GetRequiredService<UserCache>();
        var usage = app.Services.GetRequiredService<Usage.UsageRecorder>();
        app.Use(async (context, next) =>
        {
            var file = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
                ? await TryFindAsync(context, lookup, dataDir, files, users, usage)
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
        HttpContext context, ContentLookup lookup, string dataDir, StaticFiles files, UserCache users, Usage.UsageRecorder usage)
    {
        if (context.IsWebSocketUpgrade() || Split(context.Request.Path.Value) is not ({ } guid, { } relative))
        {
            return null;
        }

        // A signed-in viewer's page view goes the whole way, where the session names who viewed it.
        var pageView = Usage.UsageRecorder.IsPageView(context.Request, relative);
        if (pageView && context.Request.Cookies.ContainsKey(Sessions.CookieName))
        {
            return null;
        }

        try
        {
            var (content, bundle) = await lookup.FindAsync(guid, context.RequestAborted);
            if (content is null || bundle is null || ContentEndpoint.FileRoot(content, bundle, dataDir) is not ({ } root, { } index))
            {
                return null;
            }

            var isPublic = content.AccessType == AccessTypes.All;
            var viewer = await KeyViewerAsync(context, lookup, users, content);
            if (!isPublic && viewer is null)
            {
                return null;
            }

            if (files.Find(root, relative.Length == 0 ? index : relative) is not { } file)
            {
                return null;
            }

            if (pageView)
            {
                usage.Visit(content.Id, viewer, bundle.Id, "/" + relative);
            }

            return (content.Guid, file, isPublic);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A database that is away (and nothing known yet) or any other trouble: the whole way answers it properly.
            return null;
        }
    }

    /// <summary>The owner of the request's API key when they may view the item (the same cached check the sign-in makes), else null.</summary>
    private static async Task<long?> KeyViewerAsync(HttpContext context, ContentLookup lookup, UserCache users, ContentItem content)
    {
        if (ApiKeyAuthenticationHandler.KeyOf(context.Request) is not { } key
            || await users.KeyOwnerAsync(key, context.RequestAborted) is not { } user)
        {
            return null;
        }

        return await ContentAccess.CanViewAsync(lookup, new Caller(user.Id, user.Username, user.Role), content, context.RequestAborted) ? user.Id : null;
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
