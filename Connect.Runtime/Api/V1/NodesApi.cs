using Connect.Runtime.Authentication;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Runtime.Cluster;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary><c>GET /__api__/v1/server/nodes</c>: the cluster as the database sees it.</summary>
internal static class NodesApi
{
    public static void MapNodesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/__api__/v1/server/nodes", async (NodeRegistry registry, ConnectOptions options, CancellationToken ct) =>
        {
            var nodes = await registry.ListAsync(ct);
            return Results.Json(nodes.Select(n => new
            {
                name = n.Name,
                url = n.Url,
                version = n.Version,
                schema_version = n.SchemaVersion,
                status = n.Status.ToString().ToLowerInvariant(),
                started_time = n.StartedAt,
                last_heartbeat = n.LastHeartbeat,
                last_heartbeat_age_seconds = n.HeartbeatAge.TotalSeconds,
                clock_offset_ms = n.ClockOffset.TotalMilliseconds,
                // A stopped node's offset is what it was when it last wrote; its clock is no one's concern now.
                clock_skewed = n.Status != NodeStatus.Stopped && n.ClockOffset.Duration() > options.Node.MaxClockSkew,
            }));
        }).RequireAuthorization(AuthenticationSetup.Administrators);
    }
}
