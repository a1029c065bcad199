using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Cluster;

/// <summary>A request from the console to one node, carried out by that node (it owns its processes).</summary>
public sealed record NodeCommand(long Id, string Node, string Kind, string Target, string RequestedBy);

/// <summary>Dashboard to node requests: stopping a worker or an item's workers, deploying one of an item's bundles.</summary>
public sealed class NodeCommandRepository(ConnectDatabase database)
{
    public const string StopWorker = "stop-worker";

    /// <summary>Stop every worker of one item (target: its id): the item is being deleted.</summary>
    public const string StopContent = "stop-content";

    /// <summary>Make one of an item's bundles live again, as a deploy (target: <see cref="DeployTarget"/>): a rollback from the dashboard.</summary>
    public const string DeployBundle = "deploy-bundle";

    public async Task<long> RequestAsync(string node, string kind, string target, string requestedBy, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(database.Sql("""
            INSERT INTO node_commands (node, kind, target, requested_by, created_at) VALUES (@node, @kind, @target, @requestedBy, {{NOW}}) RETURNING id
            """), new { node, kind, target, requestedBy }, cancellationToken: cancellationToken));
    }

    /// <summary>This node's commands not carried out yet, oldest first; ones older than a minute are dropped as stale.</summary>
    public async Task<IReadOnlyList<NodeCommand>> PendingAsync(string node, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            UPDATE node_commands SET done_at = {{NOW}}, result = 'expired: the node did not take it within a minute'
            WHERE node = @node AND done_at IS NULL AND created_at < {{NOW}} - 60000
            """), new { node }, cancellationToken: cancellationToken));
        return (await connection.QueryAsync<NodeCommand>(new CommandDefinition(
            "SELECT id, node, kind, target, requested_by AS RequestedBy FROM node_commands WHERE node = @node AND done_at IS NULL ORDER BY id",
            new { node }, cancellationToken: cancellationToken))).ToList();
    }

    public async Task CompleteAsync(long id, string result, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE node_commands SET done_at = {{NOW}}, result = @result WHERE id = @id"), new { id, result }, cancellationToken: cancellationToken));
    }
}

/// <summary>What a <see cref="NodeCommandRepository.DeployBundle"/> names: the item, its bundle, and who asked (the deploy is hers).</summary>
public sealed record DeployTarget(long ContentId, long BundleId, long UserId)
{
    public override string ToString() => $"{ContentId}:{BundleId}:{UserId}";

    public static DeployTarget? Parse(string target) =>
        target.Split(':') is [var c, var b, var u] && long.TryParse(c, out var content) && long.TryParse(b, out var bundle) && long.TryParse(u, out var user)
            ? new DeployTarget(content, bundle, user)
            : null;
}
