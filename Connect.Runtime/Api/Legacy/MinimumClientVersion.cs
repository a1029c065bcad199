using System.Text.RegularExpressions;
using Connect.Runtime.Authentication;
using Connect.Shared.Configuration;
using Connect.Runtime.Publishing;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.Legacy;

/// <summary>
/// <c>LoadBalancing.EnforceMinRsconnectVersion</c>: rsconnect before 0.8.3 drops cookies, so behind a
/// load balancer its deploy steps would scatter over nodes. Such clients are refused with a message
/// that says how to upgrade; every other client is left alone.
/// </summary>
internal static partial class MinimumClientVersion
{
    public static readonly Version Minimum = new(0, 8, 3);

    [GeneratedRegex(@"^rsconnect/(\d+(?:\.\d+){1,3})", RegexOptions.IgnoreCase)]
    private static partial Regex RsconnectAgent();

    public static IApplicationBuilder UseMinimumRsconnectVersion(this IApplicationBuilder app, ConnectOptions options)
    {
        if (!options.LoadBalancing.EnforceMinRsconnectVersion)
        {
            return app;
        }

        return app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/__api__")
                && RsconnectAgent().Match(context.Request.Headers.UserAgent.ToString()) is { Success: true } match
                && Version.Parse(match.Groups[1].Value) < Minimum)
            {
                await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest,
                    $"this server needs rsconnect {Minimum} or later (you have {match.Groups[1].Value}), because its load balancer " +
                    "keeps a deploy on one node with a cookie that older versions drop. Upgrade with install.packages(\"rsconnect\") and deploy again.");
                return;
            }

            await next(context);
        });
    }
}
