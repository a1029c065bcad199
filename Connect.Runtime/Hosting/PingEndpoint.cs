namespace Connect.Runtime.Hosting;

internal static class PingEndpoint
{
    /// <summary>
    /// <c>GET /__ping__</c>: what a load balancer's health check asks. 200 <c>{}</c> while the node
    /// serves; 503 once it has begun stopping, so the balancer moves clients away before it is gone.
    /// </summary>
    public static void MapPing(this WebApplication app)
    {
        app.MapGet("/__ping__", (Cluster.NodeState state) => state.DrainReason is { } reason
            ? Results.Json(new { status = "stopping", reason }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("{}", "application/json"));
    }
}
