using Connect.Runtime.Authentication;
using Connect.Runtime.Publishing;
using Connect.Shared.Access;
using Connect.Shared.Content;
using Microsoft.AspNetCore.Http.Features;

namespace Connect.Runtime.Api;

/// <summary>Uploading a bundle and finding the one a deploy names, as both API versions ask for them.</summary>
internal static class BundleRequests
{
    /// <summary>Stores the request body as a new bundle of <paramref name="content"/>.</summary>
    public static async Task<(Bundle? Bundle, IResult? Error)> UploadAsync(HttpContext context, Caller caller, ContentItem content, BundleStore store, CancellationToken ct)
    {
        if (!caller.CanPublish)
        {
            return (null, ApiErrors.CannotPublish(caller));
        }

        // The bundle limit is ours (Applications.MaxBundleSize), checked while streaming; lift Kestrel's default.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        // A backup copies bundles: the upload routes wait for it (WaitsForMaintenance) before they get here.
        var result = await store.UploadAsync(content, context.Request.Body, ct);
        return result.Bundle is null ? (null, ApiErrors.Result(result.Status, result.Error!)) : (result.Bundle, null);
    }

    public static async Task<(Bundle? Bundle, IResult? Error)> FindBundleAsync(BundleRepository bundles, ContentItem content, long? bundleId, CancellationToken ct)
    {
        Bundle? bundle;
        if (bundleId is { } id)
        {
            bundle = await bundles.GetAsync(id, ct);
            if (bundle is null || bundle.ContentId != content.Id)
            {
                return (null, ApiErrors.NotFound($"bundle {id} does not exist for this content"));
            }
        }
        else
        {
            bundle = (await bundles.ListAsync(content.Id, ct)).LastOrDefault();
            if (bundle is null)
            {
                return (null, ApiErrors.BadRequest("this content has no bundle to deploy; upload one first"));
            }
        }

        return (bundle, null);
    }
}
