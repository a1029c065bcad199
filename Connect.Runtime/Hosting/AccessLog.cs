using System.Diagnostics;

namespace Connect.Runtime.Hosting;

/// <summary>
/// <c>HTTP.AccessLog</c>: one line per request, written when the response is done. The query string is
/// left out (it may carry tokens), and so is everything of the caller but their address.
/// </summary>
internal static partial class AccessLog
{
    public static void UseAccessLog(this IApplicationBuilder app, bool enabled)
    {
        if (!enabled)
        {
            return;
        }

        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Connect.Access");
        app.Use(async (context, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                LogRequest(logger, context.Connection.RemoteIpAddress?.ToString() ?? "-", context.Request.Method, context.Request.Path,
                    context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        });
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "{Client} {Method} {Path} {Status} {Milliseconds:0.0}ms")]
    private static partial void LogRequest(ILogger logger, string client, string method, string path, int status, double milliseconds);
}
