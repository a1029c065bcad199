using Connect.Shared.Access;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Connect.Runtime.Usage;

/// <summary>
/// The audit log, declared once for every route: each change made through the API (a POST, PUT, PATCH or DELETE under
/// <c>/__api__</c> that succeeded) is recorded with who made it, an action named from its route as the product names
/// them (<c>add_content</c>, <c>deploy_content</c>, <c>update_permission</c>, <c>remove_api_key</c>, ...), and the request.
/// </summary>
internal static class AuditTrail
{
    // The last literal segment of a route names what changed; these are the product's words for them.
    private static readonly Dictionary<string, string> Things = new(StringComparer.Ordinal)
    {
        ["content"] = "content", ["applications"] = "content", ["users"] = "user", ["keys"] = "api_key", ["permissions"] = "permission",
        ["groups"] = "group", ["members"] = "group_member", ["tags"] = "tag", ["schedules"] = "schedule", ["bundles"] = "bundle",
        ["environment"] = "environment", ["vanity"] = "vanity_url", ["jobs"] = "job", ["runtime"] = "runtime_cache",
    };

    // Routes whose last segment is a verb: the action is that verb on the thing before it.
    private static readonly Dictionary<string, string> Verbs = new(StringComparer.Ordinal)
    {
        ["deploy"] = "deploy_content", ["build"] = "build_content", ["render"] = "render_content", ["upload"] = "upload_bundle",
        ["lock"] = "lock_user", ["terminate"] = "terminate_content", ["config"] = "update_content",
    };

    public static void UseAuditTrail(this WebApplication app)
    {
        var recorder = app.Services.GetRequiredService<UsageRecorder>();
        app.Use(async (context, next) =>
        {
            await next(context);
            var request = context.Request;
            if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
                || !request.Path.StartsWithSegments("/__api__") || context.Response.StatusCode is < 200 or >= 300
                || context.GetEndpoint() is not RouteEndpoint endpoint)
            {
                return;
            }

            var caller = Caller.TryFrom(context.User);
            recorder.Audit(caller?.Id, caller?.Username ?? "(anonymous)", Action(request.Method, endpoint.RoutePattern),
                $"{request.Method} {request.PathBase}{request.Path}");
        });
    }

    /// <summary>The action a route names: <c>add_</c>, <c>update_</c> or <c>remove_</c> its thing, or its verb.</summary>
    internal static string Action(string method, RoutePattern pattern)
    {
        var literals = pattern.PathSegments.Where(s => s.IsSimple && s.Parts[0].IsLiteral)
            .Select(s => ((RoutePatternLiteralPart)s.Parts[0]).Content).ToList();
        var last = literals.LastOrDefault() ?? "";
        if (Verbs.TryGetValue(last, out var verb))
        {
            return verb;
        }

        var thing = Things.GetValueOrDefault(last, last.Replace('-', '_'));
        // A PUT that names no existing thing (no route parameter) adds one: PUT /v1/users and /v1/groups, the
        // product's remote creation.
        var adds = HttpMethods.IsPost(method) || HttpMethods.IsPut(method) && pattern.Parameters.Count == 0;
        var prefix = adds ? "add" : HttpMethods.IsDelete(method) ? "remove" : "update";
        return $"{prefix}_{thing}";
    }
}
