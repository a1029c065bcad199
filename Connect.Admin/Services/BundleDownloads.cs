using Connect.Shared.Access;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Files;

namespace Connect.Admin.Services;

internal static class BundleDownloads
{
    /// <summary>
    /// <c>/content/{guid}/bundles/{id}/download</c>: one of an item's bundles as uploaded, for whoever may change the item
    /// (the same rule as its page); anyone else gets 404, as for a bundle that does not exist.
    /// </summary>
    public static void MapBundleDownloads(this IEndpointRouteBuilder app) =>
        app.MapGet("/content/{guid}/bundles/{id:long}/download", async (string guid, long id, HttpContext context, IContentCatalog catalog,
            BundleRepository bundles, ConnectOptions options, CancellationToken ct) =>
        {
            if (Caller.TryFrom(context.User) is not { } caller
                || await catalog.GetAsync(guid, caller, ct) is not { MayChange: true } details
                || await bundles.GetAsync(id, ct) is not { } bundle || bundle.ContentId != details.Item.Id)
            {
                return Results.NotFound();
            }

            var archive = DataLayout.Archive(options.DataDir, bundle.ContentId, bundle.Id);
            return File.Exists(archive) ? Results.File(archive, "application/gzip", $"{details.Item.Name}-bundle-{bundle.Id}.tar.gz") : Results.NotFound();
        });
}
