using Connect.Shared.Web;
using Microsoft.AspNetCore.Http.Features;

namespace Connect.Runtime.Proxy;

/// <summary>
/// The WebSockets this node passes to its workers, so that a stopping node can say goodbye to each viewer
/// with a close frame instead of cutting the connection. YARP copies upgraded bytes through opaquely; the
/// viewer's side of each tunnel is wrapped in a <see cref="ViewerWebSocketStream"/> that knows where frames end.
/// </summary>
internal sealed partial class OpenWebSockets(ILogger<OpenWebSockets> logger)
{
    /// <summary>
    /// "Service restart": the code a stopping node closes with. Shiny's client reconnects at once on it (and
    /// later on any other), so a session moves to another node as soon as this one refuses new connections.
    /// </summary>
    public const ushort ServiceRestart = 1012;

    private readonly Lock _lock = new();
    private readonly HashSet<ViewerWebSocketStream> _open = [];

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>
    /// Wraps this request's upgrade so its stream is followed until the returned handle is disposed (after the
    /// tunnel ends). A request that is not a WebSocket upgrade is left alone.
    /// </summary>
    public IDisposable? Track(HttpContext context)
    {
        if (!context.IsWebSocketUpgrade() || context.Features.Get<IHttpUpgradeFeature>() is not { } upgrade)
        {
            return null;
        }

        var tracked = new TrackedUpgrade(upgrade, this);
        context.Features.Set<IHttpUpgradeFeature>(tracked);
        return tracked;
    }

    /// <summary>Sends every open WebSocket a close frame, each at its next frame boundary, waiting up to <paramref name="wait"/>.</summary>
    public async Task CloseAllAsync(ushort status, string reason, TimeSpan wait)
    {
        List<ViewerWebSocketStream> open;
        lock (_lock)
        {
            open = [.. _open];
        }

        if (open.Count == 0)
        {
            return;
        }

        LogClosing(open.Count, status);
        using var deadline = new CancellationTokenSource(wait);
        await Task.WhenAll(open.Select(s => s.CloseAsync(status, reason, deadline.Token)));
    }

    private void Add(ViewerWebSocketStream stream)
    {
        lock (_lock)
        {
            _open.Add(stream);
        }
    }

    private void Remove(ViewerWebSocketStream stream)
    {
        lock (_lock)
        {
            _open.Remove(stream);
        }
    }

    private sealed class TrackedUpgrade(IHttpUpgradeFeature inner, OpenWebSockets registry) : IHttpUpgradeFeature, IDisposable
    {
        private ViewerWebSocketStream? _stream;

        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync()
        {
            _stream = new ViewerWebSocketStream(await inner.UpgradeAsync());
            registry.Add(_stream);
            return _stream;
        }

        public void Dispose()
        {
            if (_stream is not null)
            {
                registry.Remove(_stream);
            }
        }
    }

    [LoggerMessage(EventId = 520, Level = LogLevel.Information, Message = "Closing {Count} open WebSockets with status {Status}")]
    private partial void LogClosing(int count, ushort status);
}
