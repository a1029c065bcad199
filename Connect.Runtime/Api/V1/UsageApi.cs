using System.Globalization;
using Connect.Runtime.Authentication;
using Connect.Shared.Usage;
using Connect.Runtime.Usage;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary>
/// The product's instrumentation API, for administrators: <c>/__api__/v1/instrumentation/content/visits</c> (page views)
/// and <c>/__api__/v1/instrumentation/shiny/usage</c> (Shiny sessions), oldest first, narrowed by <c>content_guid</c>,
/// <c>from</c> and <c>to</c> (ISO 8601), in pages of <c>limit</c> (at most 500) followed with the <c>next</c> cursor.
/// </summary>
internal static class UsageApi
{
    private const int MaxLimit = 500;

    public static void MapUsageApi(this IEndpointRouteBuilder app)
    {
        var instrumentation = app.MapGroup("/__api__/v1/instrumentation").RequireAuthorization(AuthenticationSetup.Administrators);

        instrumentation.MapGet("/content/visits", async (HttpContext context, UsageRepository usage, CancellationToken ct) =>
        {
            if (Filter(context.Request.Query) is not { } filter)
            {
                return Refusal();
            }

            var rows = await usage.VisitsAsync(filter, ct);
            return Page(context, filter, rows.Select(r => r.Cursor), rows.Select(r => new
            {
                content_guid = r.ContentGuid,
                user_guid = r.UserGuid,
                variant_key = (string?)null,
                rendering_id = (string?)null,
                bundle_id = r.BundleId?.ToString(CultureInfo.InvariantCulture),
                time = r.At,
                data_version = 1,
                path = r.Path,
            }));
        });

        // The audit log: oldest first unless ascOrder=false; next/previous are the ids of the page's ends.
        app.MapGet("/__api__/v1/audit_logs", async (HttpContext context, UsageRepository usage, CancellationToken ct) =>
        {
            var query = context.Request.Query;
            var limit = 20;
            long? next = null, previous = null;
            if (query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, out limit) || limit is < 1 or > MaxLimit)
                || query["next"].ToString() is { Length: > 0 } n && !(long.TryParse(n, out var after) && (next = after) >= 0)
                || query["previous"].ToString() is { Length: > 0 } p && !(long.TryParse(p, out var before) && (previous = before) >= 0))
            {
                return Refusal();
            }

            var ascending = !string.Equals(query["ascOrder"].ToString(), "false", StringComparison.OrdinalIgnoreCase);
            var rows = await usage.AuditAsync(ascending ? next : previous, ascending ? previous : next, limit, ascending, ct);
            return Results.Json(new
            {
                paging = new
                {
                    cursors = new
                    {
                        previous = rows.Count > 0 ? rows[0].Id.ToString(CultureInfo.InvariantCulture) : null,
                        next = rows.Count == limit ? rows[^1].Id.ToString(CultureInfo.InvariantCulture) : null,
                    },
                },
                results = rows.Select(r => new
                {
                    id = r.Id.ToString(CultureInfo.InvariantCulture),
                    time = r.At,
                    user_id = r.UserId?.ToString(CultureInfo.InvariantCulture),
                    user_description = r.UserDescription,
                    action = r.Action,
                    event_description = r.EventDescription,
                }),
            });
        }).RequireAuthorization(AuthenticationSetup.Administrators);

        instrumentation.MapGet("/shiny/usage", async (HttpContext context, UsageRepository usage, CancellationToken ct) =>
        {
            if (Filter(context.Request.Query) is not { } filter)
            {
                return Refusal();
            }

            var rows = await usage.ShinySessionsAsync(filter, ct);
            return Page(context, filter, rows.Select(r => r.Id.ToString(CultureInfo.InvariantCulture)), rows.Select(r => new
            {
                content_guid = r.ContentGuid,
                user_guid = r.UserGuid,
                started = r.Started,
                ended = r.Ended,
                data_version = 1,
            }));
        });
    }

    private static IResult Refusal() => ApiErrors.BadRequest(
        $"from and to must be times such as 2026-01-31T12:00:00Z, limit a number from 1 to {MaxLimit}, next a cursor this API gave");

    private static UsageFilter? Filter(IQueryCollection query)
    {
        DateTimeOffset? from = null, to = null;
        if (query["from"].ToString() is { Length: > 0 } f)
        {
            if (!DateTimeOffset.TryParse(f, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return null;
            }

            from = parsed;
        }

        if (query["to"].ToString() is { Length: > 0 } t)
        {
            if (!DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return null;
            }

            to = parsed;
        }

        var limit = MaxLimit;
        if (query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, out limit) || limit is < 1 or > MaxLimit))
        {
            return null;
        }

        // A cursor is a row id, or "{row}.{hits given}" when a page ended inside a row of several page views.
        long after = 0, afterHits = 0;
        if (query["next"].ToString() is { Length: > 0 } n)
        {
            var parts = n.Split('.');
            if (parts.Length > 2 || !long.TryParse(parts[0], out after) || after < 0
                || parts.Length == 2 && (!long.TryParse(parts[1], out afterHits) || afterHits < 1))
            {
                return null;
            }
        }

        var guid = query["content_guid"].ToString();
        return new UsageFilter(guid.Length > 0 ? guid : null, from, to, after, limit, afterHits);
    }

    /// <summary>The reference's envelope: <c>paging</c> with cursors and URLs, then <c>results</c>.</summary>
    private static IResult Page(HttpContext context, UsageFilter filter, IEnumerable<string> cursors, IEnumerable<object> results)
    {
        var list = results.ToList();
        var next = list.Count == filter.Limit ? cursors.Last() : null;
        var request = context.Request;
        string Url(string? cursor)
        {
            var query = request.Query.Where(q => q.Key != "next").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}");
            if (cursor is not null)
            {
                query = query.Append($"next={cursor}");
            }

            var text = string.Join('&', query);
            return $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{(text.Length > 0 ? "?" + text : "")}";
        }

        return Results.Json(new
        {
            paging = new
            {
                cursors = new { previous = (string?)null, next },
                first = Url(null),
                previous = (string?)null,
                next = next is null ? null : Url(next),
                last = (string?)null,
            },
            results = list,
        });
    }
}
