using Connect.Runtime.Authentication;

namespace Connect.Runtime.Hosting;

/// <summary>
/// A body that does not bind (not JSON, a string where a number belongs, a number too large for its
/// field) answers a JSON 400 that names the field, as every other API error does, instead of an
/// empty 400.
/// </summary>
internal static class BadRequests
{
    public static IServiceCollection AddJsonBadRequests(this IServiceCollection services) =>
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

    public static IApplicationBuilder UseJsonBadRequests(this IApplicationBuilder app) =>
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
                await ApiErrors.WriteAsync(context, e.StatusCode, $"the request could not be read: {detail}");
            }
        });
}
