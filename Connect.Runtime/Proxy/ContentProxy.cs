using Connect.Shared.Configuration;
using Connect.Shared.Files;
using System.Net;
using Connect.Shared.Web;
using Connect.Runtime.Processes;
using Connect.Shared.Content;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Connections.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Connect.Runtime.Proxy;

/// <summary>
/// Sends a viewer's request (or WebSocket) for Shiny, Plumber or interactive R Markdown content to
/// a worker of this node with YARP's forwarder. A TCP connection keeps its worker for its lifetime,
/// and a browser keeps it through a cookie, so Shiny's session-bound requests find their session.
/// </summary>
internal sealed partial class ContentProxy(
    IHttpForwarder forwarder, WorkerPool pool, OpenWebSockets webSockets, ClientConnections clients, Metrics.NodeMeters meters, Packages.PackageRestore packages,
    ConnectOptions options, Usage.UsageRecorder usage, TimeProvider clock, ILogger<ContentProxy> logger)
    : IDisposable
{
    public const string AffinityCookie = "connect_worker";

    // Idle Shiny sockets may sit for hours; YARP's default activity timeout (100 s) would cut them.
    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromHours(24) };

    private readonly HttpMessageInvoker _client = new(WorkerConnections.CreateHandler());

    /// <param name="mayReadLog">Whether the viewer may read the item's log (its owner, a collaborator, an administrator): a
    /// start that failed shows its log to them only; R's output names server paths and source lines.</param>
    public async Task<IResult> ForwardAsync(HttpContext context, ContentItem content, Bundle bundle, string? publicPrefix, Func<Task<bool>> mayReadLog)
    {
        var prefix = publicPrefix ?? $"{context.Request.PathBase}/content/{content.Guid}";
        context.Request.Path.StartsWithSegments($"/content/{content.Guid}", out var rest);
        var connectionItems = context.Features.Get<IConnectionItemsFeature>()?.Items;
        var connectionKey = "connect.worker." + content.Guid;
        var preferred = connectionItems?.TryGetValue(connectionKey, out var id) == true ? id as string : context.Request.Cookies[AffinityCookie];

        using var place = context.IsWebSocketUpgrade() ? clients.TryEnter(content.Guid, context) : null;
        if (place is null && context.IsWebSocketUpgrade())
        {
            return ErrorPages.Page(HttpStatusCode.TooManyRequests, "Too many open connections",
                $"You already hold {clients.Limit} open connections to '{Name(content)}' on this server (Scheduler.MaxConnsPerClient). Close a tab and try again.",
                retryAfterSeconds: 5);
        }

        var acquired = await pool.AcquireAsync(content, bundle, preferred, context.RequestAborted);
        if (acquired.Lease is not { } lease)
        {
            return await RefusalPageAsync(content, bundle, acquired, mayReadLog);
        }

        using (lease)
        {
            var worker = lease.Worker;
            if (connectionItems is not null)
            {
                connectionItems[connectionKey] = worker.Id;
            }

            if (preferred != worker.Id)
            {
                context.Response.Cookies.Append(AffinityCookie, worker.Id, new CookieOptions
                {
                    Path = prefix + "/",
                    HttpOnly = true,
                    SameSite = SameSiteMode.Lax,
                });
            }

            // A Shiny app's page gets the reconnect script; it is small, so it is buffered to be edited.
            var isPage = bundle.AppMode is AppModes.Shiny or AppModes.RmdShiny && HttpMethods.IsGet(context.Request.Method)
                && rest.Value is null or "" or "/" && !context.IsWebSocketUpgrade();
            var body = context.Response.Body;
            using var buffer = isPage ? new MemoryStream() : null;
            if (buffer is not null)
            {
                context.Response.Body = buffer;
            }

            ForwarderError error;
            using var webSocket = webSockets.Track(context);
            // A Shiny session is its WebSocket: from its opening to its end (whichever side ends it).
            var sessionStarted = context.IsWebSocketUpgrade() && bundle.AppMode is AppModes.Shiny or AppModes.RmdShiny ? clock.GetUtcNow() : (DateTimeOffset?)null;
            try
            {
                var endpoint = WorkerEndpoint.Of(worker);
                error = await forwarder.SendAsync(context, endpoint.Prefix, _client, RequestConfig,
                    new WorkerTransformer(prefix, rest, endpoint, identityEncoding: buffer is not null));
            }
            finally
            {
                context.Response.Body = body;
                if (sessionStarted is { } started && context.Response.StatusCode == StatusCodes.Status101SwitchingProtocols)
                {
                    usage.ShinySession(content.Id, Shared.Access.Caller.TryFrom(context.User)?.Id, started);
                }
            }

            if (buffer is not null && error == ForwarderError.None)
            {
                var page = context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true
                    ? ShinyReconnect.Inject(buffer.ToArray())
                    : buffer.ToArray();
                context.Response.ContentLength = page.Length;
                await body.WriteAsync(page, context.RequestAborted);
                return Results.Empty;
            }

            if (error != ForwarderError.None && !context.Response.HasStarted)
            {
                LogForwardFailed(content.Guid, worker.Id, error);
                return ErrorPages.Page(HttpStatusCode.BadGateway, "The content stopped answering",
                    $"The R process serving '{Name(content)}' did not answer ({error}). Reload the page to start a new one.");
            }
        }

        return Results.Empty;
    }

    private async Task<IResult> RefusalPageAsync(ContentItem content, Bundle bundle, AcquireResult result, Func<Task<bool>> mayReadLog)
    {
        switch (result.Refusal)
        {
            case WorkerRefusal.Busy:
                meters.CapacityRefused(content.Guid);
                var settings = WorkerSettings.For(content, pool.SchedulerOptions);
                return ErrorPages.Page(HttpStatusCode.ServiceUnavailable, "Too busy right now",
                    $"All {settings.MaxProcesses} processes of '{Name(content)}' on this server are serving their limit of "
                    + $"{settings.MaxConnsPerProcess} connections. Please try again in a moment.", retryAfterSeconds: 5);

            case WorkerRefusal.Stopping:
                return ErrorPages.Page(HttpStatusCode.ServiceUnavailable, "This server is stopping",
                    $"'{Name(content)}' is not started again on a server that is stopping. Try again in a moment.", retryAfterSeconds: 2);

            case WorkerRefusal.InitTimeout or WorkerRefusal.StartFailed when !await mayReadLog():
                return ErrorPages.Page(HttpStatusCode.BadGateway, "This content could not start",
                    $"'{Name(content)}' could not start. Its owner can see why in its logs; try again later.");

            case WorkerRefusal.InitTimeout:
                return ErrorPages.Page(HttpStatusCode.BadGateway, "The content did not start in time",
                    $"The R process of '{Name(content)}' did not start listening within {result.InitTimeout.TotalSeconds:0.#} seconds "
                    + "(Scheduler.InitTimeout) and was stopped.", result.FailedWorker?.LastLogLines(), action: LogsLink(content));

            default:
                var worker = result.FailedWorker!;
                var message = $"The R process of '{Name(content)}' exited with code {worker.ExitCode} before it started listening.";
                var missing = await MissingPackagesAsync(bundle);
                if (missing.Count > 0)
                {
                    message += $" These R packages it needs are not installed on this server: {string.Join(", ", missing)}.";
                }

                return ErrorPages.Page(HttpStatusCode.BadGateway, "The content failed to start", message + " The end of its log:", worker.LastLogLines(),
                    action: LogsLink(content));
        }
    }

    /// <summary>Where its owner reads the whole log: the item's page in the dashboard, when the node knows its address.</summary>
    private (string Text, string Href)? LogsLink(ContentItem content) =>
        options.Server.DashboardPageOf(content.Guid) is { } page ? ("Its logs in the dashboard", page) : null;

    private async Task<IReadOnlyList<string>> MissingPackagesAsync(Bundle bundle)
    {
        try
        {
            return await packages.MissingFromSystemAsync(bundle.Id, DataLayout.Resolve(options.DataDir, bundle.Path), CancellationToken.None);
        }
        catch (Exception)
        {
            return [];
        }
    }

    private static string Name(ContentItem content) => content.Title ?? content.Name;

    public void Dispose() => _client.Dispose();

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "Forwarding to worker {WorkerId} of content {Guid} failed: {Error}")]
    private partial void LogForwardFailed(string guid, string workerId, ForwarderError error);
}
