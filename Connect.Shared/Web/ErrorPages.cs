using System.Net;
using Microsoft.AspNetCore.Http;

namespace Connect.Shared.Web;

/// <summary>The pages viewers get when the node cannot give them what they asked for (content URLs, workers, outages).</summary>
public static class ErrorPages
{
    /// <summary>A small HTML page for viewers; rsconnect shows the body text of HTML errors too.</summary>
    public static IResult Page(HttpStatusCode status, string title, string message, IReadOnlyList<string>? details = null, int? retryAfterSeconds = null)
    {
        var pre = details is { Count: > 0 } ? $"<pre>{WebUtility.HtmlEncode(string.Join('\n', details))}</pre>" : "";
        var html = $"<!DOCTYPE html><html><head><title>{WebUtility.HtmlEncode(title)}</title></head><body><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(message)}</p>{pre}</body></html>";
        var page = Results.Content(html, "text/html; charset=utf-8", statusCode: (int)status);
        return retryAfterSeconds is { } seconds ? new WithHeader(page, "Retry-After", seconds.ToString()) : page;
    }

    private sealed class WithHeader(IResult inner, string name, string value) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers[name] = value;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
