using Connect.Runtime.R;
using Connect.Runtime.Publishing;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary>
/// <c>/__api__/v1/server_settings/{r,python,quarto}</c>: the interpreters content can run with, as clients show them
/// (<c>rsconnect details</c>). R is this node's; Python and Quarto are not offered, so their lists are empty.
/// </summary>
internal static class ServerSettingsApi
{
    public static void MapServerSettingsApi(this IEndpointRouteBuilder app)
    {
        var settings = app.MapGroup("/__api__/v1/server_settings").RequireAuthorization();

        settings.MapGet("/r", async (RInstallation r, CancellationToken ct) =>
            Results.Json(new
            {
                installations = await r.VersionAsync(ct) is { } version
                    ? new[] { new { version, cluster_name = "Local", image_name = "Local" } }
                    : [],
            }));

        settings.MapGet("/python", () => Results.Json(new { installations = Array.Empty<object>() }));
        settings.MapGet("/quarto", () => Results.Json(new { installations = Array.Empty<object>() }));
    }
}
