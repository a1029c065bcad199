using Connect.Shared.Operations;
using Connect.Shared.Web;
using System.Net;
using Connect.Runtime.Authentication;
using Connect.Shared.Data;

namespace Connect.Runtime.Hosting;

/// <summary>
/// When the database goes away mid-flight, a request gets a clear 503 naming the database instead of
/// a bare 500; nothing was written, so the client can simply retry once the database is back.
/// </summary>
internal static partial class DatabaseUnavailable
{
    public static IApplicationBuilder UseDatabaseUnavailablePages(this IApplicationBuilder app, ConnectDatabase database, ILogger logger) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                LogUnavailable(logger, database.Description, context.Request.Path, e.Message);
                var message = $"the database ({database.Description}) cannot be reached right now: {e.Message}. Nothing was changed; try again shortly.";
                context.Response.Headers.RetryAfter = "5";
                if (context.Request.Path.StartsWithSegments("/__api__"))
                {
                    await ApiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, message);
                }
                else
                {
                    await ErrorPages.Page(HttpStatusCode.ServiceUnavailable, "Temporarily unavailable", message).ExecuteAsync(context);
                }
            }
            catch (MaintenancePausedException e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                context.Response.Headers.RetryAfter = "30";
                await ApiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, e.Message);
            }
            catch (Exception e) when (DatabaseErrors.IsDiskFull(e) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                // Said as it is, and without promising that nothing was changed: a write may have gone half-way.
                LogDiskFull(logger, e, context.Request.Path);
                const string message = "the server's disk is full; ask an administrator to free space, then try again";
                if (context.Request.Path.StartsWithSegments("/__api__"))
                {
                    await ApiErrors.WriteAsync(context, StatusCodes.Status507InsufficientStorage, message);
                }
                else
                {
                    await ErrorPages.Page(HttpStatusCode.InsufficientStorage, "Out of disk space", message).ExecuteAsync(context);
                }
            }
        });

    [LoggerMessage(EventId = 31, Level = LogLevel.Error, Message = "The disk is full while serving {Path}")]
    private static partial void LogDiskFull(ILogger logger, Exception e, string path);

    [LoggerMessage(EventId = 30, Level = LogLevel.Error, Message = "Database {Database} unavailable while serving {Path}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string database, string path, string reason);
}
