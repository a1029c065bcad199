using System.Text.Json;
using Connect.Shared.Content;

namespace Connect.Runtime.Publishing;

/// <summary>What a bundle's <c>manifest.json</c> (written by rsconnect) says about running it.</summary>
internal sealed record BundleManifest(string AppMode, string? PrimaryFile, IReadOnlyList<string> Packages)
{
    public const string FileName = "manifest.json";

    /// <summary>Reads and checks the manifest of an extracted bundle; the error names what is wrong.</summary>
    public static (BundleManifest? Manifest, string? Error) Read(string bundleDirectory)
    {
        var path = Path.Combine(bundleDirectory, FileName);
        if (!File.Exists(path))
        {
            return (null, "the bundle has no manifest.json; deploy with rsconnect, which writes one");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            return (null, $"manifest.json is not valid JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object)
            {
                return (null, "manifest.json has no \"metadata\" object");
            }

            var appMode = StringOf(metadata, "appmode");
            if (appMode is null)
            {
                return (null, "manifest.json has no metadata.appmode");
            }

            if (!AppModes.All.Contains(appMode))
            {
                return (null, $"manifest.json names app mode '{appMode}', which this server does not run (it runs {string.Join(", ", AppModes.All.Order())})");
            }

            var primary = FindPrimaryFile(appMode, metadata, bundleDirectory);
            if (primary.Error is not null)
            {
                return (null, primary.Error);
            }

            var packages = root.TryGetProperty("packages", out var p) && p.ValueKind == JsonValueKind.Object
                ? p.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal).ToList()
                : [];
            return (new BundleManifest(appMode, primary.File, packages), null);
        }
    }

    private static (string? File, string? Error) FindPrimaryFile(string appMode, JsonElement metadata, string directory)
    {
        string[] candidates = appMode switch
        {
            AppModes.RmdStatic or AppModes.RmdShiny => [StringOf(metadata, "primary_rmd") ?? ""],
            AppModes.Static => [StringOf(metadata, "primary_html") ?? "index.html"],
            AppModes.Shiny => ["app.R", "server.R"],
            _ => ["plumber.R", "entrypoint.R"],
        };
        var found = candidates.FirstOrDefault(c => c.Length > 0 && IsInside(directory, c) && File.Exists(Path.Combine(directory, c)));
        return found is not null
            ? (found, null)
            : (null, $"the bundle has no {string.Join(" or ", candidates.Where(c => c.Length > 0).DefaultIfEmpty("primary document"))} for app mode '{appMode}'");
    }

    private static bool IsInside(string directory, string relative)
    {
        var root = Path.GetFullPath(directory) + Path.DirectorySeparatorChar;
        return Path.GetFullPath(Path.Combine(directory, relative)).StartsWith(root, StringComparison.Ordinal);
    }

    private static string? StringOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;
}
