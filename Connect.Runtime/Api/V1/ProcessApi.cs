using Connect.Runtime.Authentication;
using Connect.Shared.Cluster;
using Connect.Runtime.Processes;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary><c>GET /__api__/v1/server/processes</c>: this node's workers, for administrators.</summary>
internal static class ProcessApi
{
    public static void MapProcessApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/__api__/v1/server/processes", (WorkerPool pool, NodeIdentity node, TimeProvider clock) =>
        {
            var now = clock.GetUtcNow();
            var workers = pool.Workers;
            // One read of /proc for every worker's tree (a stopping worker's figures are not shown).
            var trees = ProcessTree.Usage(workers.Where(w => w.IsAlive && w.Pid is not null).Select(w => w.Pid!.Value).ToList());
            return Results.Json(new
            {
                node = node.Name,
                processes = workers.Select(w =>
                {
                    var usage = w.IsAlive && w.Pid is { } pid ? trees.GetValueOrDefault(pid) : null;
                    return new
                    {
                        id = w.Id,
                        content_guid = w.ContentGuid,
                        bundle_id = w.BundleId,
                        pid = w.Pid,
                        socket = w.SocketPath,
                        state = w.State.ToString().ToLowerInvariant(),
                        connections = w.Connections,
                        started_time = w.StartedAt,
                        idle_seconds = w.Connections == 0 ? (now - w.LastActive).TotalSeconds : 0,
                        cpu_seconds = usage?.Cpu.TotalSeconds,
                        memory_bytes = usage?.MemoryBytes,
                    };
                }),
                recent_exits = pool.RecentExits.Select(w => new
                {
                    id = w.Id,
                    content_guid = w.ContentGuid,
                    pid = w.Pid,
                    exit_code = w.ExitCode,
                    exit_reason = w.ExitReason,
                    started_time = w.StartedAt,
                    last_log_lines = w.LastLogLines().TakeLast(20),
                }),
            });
        }).RequireAuthorization(AuthenticationSetup.Administrators);
    }
}
