using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Connect.Shared.Web;

public static class WebSocketRequests
{
    /// <summary>
    /// A WebSocket handshake. The node does not use ASP.NET Core's WebSocket middleware (YARP passes the
    /// upgrade through), so <c>HttpContext.WebSockets.IsWebSocketRequest</c> is always false here.
    /// </summary>
    public static bool IsWebSocketUpgrade(this HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
        && context.Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
}
