using System.Security.Claims;
using System.Text.Json;
using Connect.Runtime.Authentication;
using Connect.Shared.Content;
using Connect.Shared.Access;
using Connect.Runtime.Publishing;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary>
/// One R package a bundle's manifest declares, with the version it was published with; for a bundle deployed with
/// package restore, where it comes from (<c>origin</c>: <c>system</c> or <c>cache</c>), its source and repository.
/// </summary>
internal sealed record PackageJson(string Language, string Name, string? Version, string? Hash, string? Origin = null, string? Source = null, string? Repository = null);

/// <summary>A package of a content item, in the server-wide list.</summary>
internal sealed record ContentPackageJson(string Language, string Name, string? Version, string? Hash, string BundleId, string AppId, string AppGuid);

/// <summary>
/// The R packages of content (<c>/__api__/v1/content/{guid}/packages</c>, <c>/__api__/v1/packages</c>), as the manifest of
/// each item's live bundle declares them: what rsconnect recorded when it published, which is what the reference reports.
/// </summary>
internal static class PackagesApi
{
    public static void MapPackagesApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1").RequireAuthorization();

        v1.MapGet("/content/{guid}/packages", async (RoutedContent routed, BundleRepository bundles, BundleStore store, Connect.Shared.Packages.PackageCache cache, CancellationToken ct) =>
        {
            var content = routed.Item;

            if (content.ActiveBundleId is not { } id || await bundles.GetAsync(id, ct) is not { } bundle)
            {
                return Results.Json(Array.Empty<PackageJson>());
            }

            var library = Connect.Shared.Packages.BundleLibrary.Read(cache, bundle.Id)?.Packages.ToDictionary(p => p.Name, StringComparer.Ordinal);
            return Results.Json(Read(store, bundle).Select(p => library?.GetValueOrDefault(p.Name) is { } from
                ? p with { Origin = from.Origin, Source = from.Source, Repository = from.Repository }
                : p));
        }).RequireContent(ContentRight.View);

        // Every package of every live bundle the caller may see; name filters by package name.
        v1.MapGet("/packages", async (string? name, int? page_number, int? page_size, ClaimsPrincipal principal, ContentRepository contents, BundleRepository bundles,
            BundleStore store, CancellationToken ct) =>
        {
            var (paging, error) = Paging.From(page_number, page_size);
            if (error is not null)
            {
                return error;
            }

            var caller = Caller.From(principal);
            var all = new List<ContentPackageJson>();
            foreach (var content in await contents.ListVisibleAsync(caller.IsAdministrator ? null : caller.Id, ct))
            {
                if (content.ActiveBundleId is { } id && await bundles.GetAsync(id, ct) is { } bundle)
                {
                    all.AddRange(Read(store, bundle).Where(p => name is null || p.Name == name)
                        .Select(p => new ContentPackageJson(p.Language, p.Name, p.Version, p.Hash, bundle.Id.ToString(), content.Id.ToString(), content.Guid)));
                }
            }

            return paging.Of(all, p => p);
        });
    }

    /// <summary>The packages in <paramref name="bundle"/>'s manifest.json; none when it lists none or cannot be read.</summary>
    internal static IReadOnlyList<PackageJson> Read(BundleStore store, Bundle bundle)
    {
        try
        {
            using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(store.FullPath(bundle.Path), "manifest.json")));
            if (!manifest.RootElement.TryGetProperty("packages", out var packages) || packages.ValueKind != JsonValueKind.Object)
            {
                return [];
            }

            return packages.EnumerateObject().Select(p => new PackageJson("r", p.Name,
                p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.Object
                    && d.TryGetProperty("Version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null,
                null)).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
