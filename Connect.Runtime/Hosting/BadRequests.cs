using Connect.Runtime.Authentication;

namespace Connect.Runtime.Hosting;

/// <summary>
/// A body that does not bind (not JSON, a string where a number belongs, a number too large for its
/// field) answers a JSON 400 that names the field, as every other API error does, instead of an
/// empty 400. A failure of our own on an API route answers a JSON 500 (code 1) for the same reason: a client
/// of the API reads the error's code, and an empty 500 leaves it nothing to report.
/// </summary>
internal static partial class BadRequests
{
    public static IServiceCollection AddJsonBadRequests(this IServiceCollection services) =>
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

    public static IApplicationBuilder UseJsonBadRequests(this IApplicationBuilder app, ILogger logger) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                // System.Text.Json names the field in its message ("... Path: $.min_processes ...").
                var detail = e.InnerException?.Message ?? e.Message;
                await ApiErrors.WriteAsync(context, e.StatusCode, $"the request could not be read: {detail}", ApiErrorCode.InvalidJson);
            }
            catch (Exception e) when (context.Request.Path.StartsWithSegments("/__api__") && !context.Response.HasStarted
                && !context.RequestAborted.IsCancellationRequested)
            {
                LogFailed(logger, e, context.Request.Method, context.Request.Path);
                await ApiErrors.WriteAsync(context, StatusCodes.Status500InternalServerError,
                    $"the server failed to answer {context.Request.Method} {context.Request.Path}; its log says why");
            }
        });

    [LoggerMessage(EventId = 130, Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailed(ILogger logger, Exception e, string method, string path);
}
