using Connect.Shared.Data;

namespace Connect.Runtime.Hosting;

internal static class PingEndpoint
{
    /// <summary>
    /// <c>GET /__ping__</c>: what a load balancer's health check asks. 200 <c>{}</c> while the node
    /// serves; 503 once it has begun stopping, so the balancer moves clients away before it is gone.
    /// While the database fails or stalls (a call waiting longer than <see cref="DatabaseHealth.StallAfter"/>) the node
    /// still serves running content, so it answers 200 with <c>{"status": "degraded", ...}</c>: every node shares the
    /// one database, and taking them all out of the balancer would stop the content that still works.
    /// </summary>
    public static void MapPing(this WebApplication app)
    {
        app.MapGet("/__ping__", (Cluster.NodeState state, DatabaseHealth database) =>
            state.DrainReason is { } reason
                ? Results.Json(new { status = "stopping", reason }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : database.DegradedSince is { } since
                    ? Results.Json(new
                    {
                        status = "degraded",
                        database = database.UnreachableSince is null ? "stalled" : "unreachable",
                        since,
                        reason = "running content is served; deploys, sign-ins and the API wait for the database",
                    })
                    : Results.Text("{}", "application/json"));
    }
}
