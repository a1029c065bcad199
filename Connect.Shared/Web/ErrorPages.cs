using System.Net;
using Microsoft.AspNetCore.Http;

namespace Connect.Shared.Web;

/// <summary>The pages viewers get when the node cannot give them what they asked for (content URLs, workers, outages).</summary>
public static class ErrorPages
{
    /// <summary>
    /// A small HTML page for viewers (rsconnect shows the body text of HTML errors too), with an optional way on
    /// (<paramref name="action"/>: its text and where it leads).
    /// </summary>
    public static IResult Page(HttpStatusCode status, string title, string message, IReadOnlyList<string>? details = null, int? retryAfterSeconds = null,
        (string Text, string Href)? action = null)
    {
        var pre = details is { Count: > 0 } ? $"<pre>{WebUtility.HtmlEncode(string.Join('\n', details))}</pre>" : "";
        var link = action is { } a ? $"<p><a href=\"{WebUtility.HtmlEncode(a.Href)}\">{WebUtility.HtmlEncode(a.Text)}</a></p>" : "";
        var html = PageStyle.Document(title, $"<h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(message)}</p>{pre}{link}");
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
