using System.Data.Common;
using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Content;

/// <param name="NameTaken">The owner already has content of that name (a conflict, not bad input).</param>
public sealed record CreateContentResult(ContentItem? Content, string? Error, bool NameTaken = false);

public sealed class ContentRepository(ConnectDatabase database)
{
    private const string SelectContent = """
        SELECT c.id, c.guid, c.name, c.title, c.description, c.owner_id, u.username AS owner_username, u.guid AS owner_guid, c.app_mode,
               c.active_bundle_id, c.output_path, c.created_at, c.updated_at, c.access_type,
               c.min_processes, c.max_processes, c.max_conns_per_process, c.load_factor, c.idle_timeout_ms, c.init_timeout_ms,
               c.memory_limit, c.run_as, c.deployed_at
        FROM content c JOIN users u ON u.id = c.owner_id
        """;

    /// <summary>rsconnect's own rule for names: 3 to 64 letters, digits, '-' or '_'.</summary>
    public static string? ValidateName(string? name) =>
        name is { Length: >= 3 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? null
            : $"'{name}' is not a valid content name: use 3 to 64 letters, digits, '-' or '_'";

    public async Task<CreateContentResult> CreateAsync(long ownerId, string name, string? title, string? description = null, CancellationToken cancellationToken = default)
    {
        if (ValidateName(name) is { } problem)
        {
            return new CreateContentResult(null, problem);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(database.Sql("""
            INSERT INTO content (guid, name, title, description, owner_id, created_at, updated_at)
            VALUES (@guid, @name, @title, @description, @ownerId, {{NOW}}, {{NOW}})
            ON CONFLICT (owner_id, name) DO NOTHING
            RETURNING id
            """), new { guid = Guid.NewGuid().ToString(), name, title, description, ownerId }, cancellationToken: cancellationToken));
        return id is null
            ? new CreateContentResult(null, $"you already have content named '{name}'", NameTaken: true)
            : new CreateContentResult(await GetAsync(id.Value, cancellationToken), null);
    }

    public async Task<ContentItem?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return Map(await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(SelectContent + " WHERE c.id = @id", new { id }, cancellationToken: cancellationToken)));
    }

    public async Task<ContentItem?> GetAsync(string guid, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return Map(await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(SelectContent + " WHERE c.guid = @guid", new { guid }, cancellationToken: cancellationToken)));
    }

    public async Task SetAccessTypeAsync(long id, string accessType, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE content SET access_type = @accessType, updated_at = {{NOW}} WHERE id = @id"), new { id, accessType }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The strongest role <paramref name="userId"/> holds on the item through its permission list,
    /// directly or through a group: <see cref="ContentRoles.Owner"/>, <see cref="ContentRoles.Viewer"/> or null.
    /// </summary>
    public async Task<string?> RoleOfAsync(long contentId, long userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var roles = (await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT p.role FROM content_permissions p
            WHERE p.content_id = @contentId AND (
                (p.principal_type = 'user' AND p.principal_id = @userId)
                OR (p.principal_type = 'group' AND p.principal_id IN (SELECT m.group_id FROM group_members m WHERE m.user_id = @userId)))
            """, new { contentId, userId }, cancellationToken: cancellationToken))).ToList();
        return roles.Contains(ContentRoles.Owner) ? ContentRoles.Owner : roles.Count > 0 ? ContentRoles.Viewer : null;
    }

    /// <summary>
    /// The role <paramref name="userId"/> holds through permission lists (directly or through a group), for every item
    /// where it holds one: one query for a whole content list.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, string>> RolesOfAsync(long userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long ContentId, string Role)>(new CommandDefinition("""
            SELECT p.content_id, p.role FROM content_permissions p
            WHERE (p.principal_type = 'user' AND p.principal_id = @userId)
               OR (p.principal_type = 'group' AND p.principal_id IN (SELECT m.group_id FROM group_members m WHERE m.user_id = @userId))
            """, new { userId }, cancellationToken: cancellationToken));
        return rows.GroupBy(r => r.ContentId).ToDictionary(
            g => g.Key, g => g.Any(r => r.Role == ContentRoles.Owner) ? ContentRoles.Owner : ContentRoles.Viewer);
    }

    /// <summary>Content anyone may see, signed in or not.</summary>
    public async Task<IReadOnlyList<ContentItem>> ListOpenToAllAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(SelectContent + " WHERE c.access_type = 'all' ORDER BY c.id", cancellationToken: cancellationToken));
        return rows.Select(r => Map(r)!).ToList();
    }

    /// <summary>
    /// Content that <paramref name="viewerId"/> may see (owned, open to all or to signed-in users, or on
    /// its permission list directly or through a group), everything when null.
    /// </summary>
    public async Task<IReadOnlyList<ContentItem>> ListVisibleAsync(long? viewerId, CancellationToken cancellationToken = default)
    {
        const string where = """
             WHERE @viewerId IS NULL OR c.owner_id = @viewerId OR c.access_type IN ('all', 'logged_in')
                OR EXISTS (SELECT 1 FROM content_permissions p WHERE p.content_id = c.id AND (
                    (p.principal_type = 'user' AND p.principal_id = @viewerId)
                    OR (p.principal_type = 'group' AND p.principal_id IN (SELECT m.group_id FROM group_members m WHERE m.user_id = @viewerId))))
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(SelectContent + where + " ORDER BY c.id", new { viewerId }, cancellationToken: cancellationToken));
        return rows.Select(r => Map(r)!).ToList();
    }

    /// <summary>Content owned by <paramref name="ownerId"/> (everyone's when null), optionally with one name, paged.</summary>
    public async Task<(IReadOnlyList<ContentItem> Items, long Total)> ListAsync(
        long? ownerId, string? name, int offset, int count, CancellationToken cancellationToken = default)
    {
        const string where = " WHERE (@ownerId IS NULL OR c.owner_id = @ownerId) AND (@name IS NULL OR c.name = @name)";
        var args = new { ownerId, name, offset, count };
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM content c" + where, args, cancellationToken: cancellationToken));
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(SelectContent + where + " ORDER BY c.id LIMIT @count OFFSET @offset", args, cancellationToken: cancellationToken));
        return (rows.Select(r => Map(r)!).ToList(), total);
    }

    public async Task UpdateAsync(long id, string? title, string? description, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE content SET title = COALESCE(@title, title), description = COALESCE(@description, description), updated_at = {{NOW}} WHERE id = @id"),
            new { id, title, description }, cancellationToken: cancellationToken));
    }

    /// <summary>Makes a deployed bundle (and its rendered output, if any) the one the content's URL serves.</summary>
    public async Task ActivateBundleAsync(long id, Bundle bundle, string? outputPath, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        await RetireLiveBundleAsync(connection, transaction, id, bundle.Id, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE content SET active_bundle_id = @bundleId, app_mode = @appMode, output_path = @outputPath, updated_at = {{NOW}}, deployed_at = {{NOW}} WHERE id = @id"),
            new { id, bundleId = bundle.Id, appMode = bundle.AppMode, outputPath }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Notes when the item's live bundle stops being live (it is about to be replaced by <paramref name="next"/>), and
    /// that <paramref name="next"/> is live again if it had been retired (a rollback): old bundles are pruned by that time.
    /// </summary>
    private async Task RetireLiveBundleAsync(DbConnection connection, DbTransaction transaction, long id, long next, CancellationToken cancellationToken = default)
    {
        await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            UPDATE bundles SET retired_at = {{NOW}}
            WHERE id = (SELECT active_bundle_id FROM content WHERE id = @id) AND id <> @next
            """), new { id, next }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("UPDATE bundles SET retired_at = NULL WHERE id = @next", new { next }, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Makes a deploy's bundle live inside its caller's transaction, unless a deploy that was asked for
    /// later (a higher <paramref name="seq"/>) is live already: an older deploy never replaces a newer one.
    /// </summary>
    public async Task<bool> ActivateBundleAsync(DbConnection connection, DbTransaction transaction, long id, Bundle bundle, string? outputPath, long seq, CancellationToken cancellationToken = default)
    {
        // Retired only if this deploy goes live; the transaction is its caller's, so a refusal below undoes it too.
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM content WHERE id = @id AND active_seq < @seq", new { id, seq }, transaction, cancellationToken: cancellationToken)) > 0)
        {
            await RetireLiveBundleAsync(connection, transaction, id, bundle.Id, cancellationToken);
        }

        return await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            UPDATE content SET active_bundle_id = @bundleId, app_mode = @appMode, output_path = @outputPath, active_seq = @seq, updated_at = {{NOW}}, deployed_at = {{NOW}}
            WHERE id = @id AND active_seq < @seq
            """), new { id, bundleId = bundle.Id, appMode = bundle.AppMode, outputPath, seq }, transaction, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Publishes a rendering inside its caller's transaction, only if its bundle is still the active one.</summary>
    public async Task<bool> SetOutputAsync(DbConnection connection, DbTransaction transaction, long id, long bundleId, string outputPath, CancellationToken cancellationToken = default) =>
        await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE content SET output_path = @outputPath, updated_at = {{NOW}} WHERE id = @id AND active_bundle_id = @bundleId"),
            new { id, bundleId, outputPath }, transaction, cancellationToken: cancellationToken)) == 1;

    /// <summary>
    /// Publishes a new rendering of the active bundle. False (and nothing changes) when another bundle
    /// became active meanwhile: the output of an older bundle must never replace a newer one's.
    /// </summary>
    public async Task<bool> SetOutputAsync(long id, long bundleId, string outputPath, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            database.Sql("UPDATE content SET output_path = @outputPath, updated_at = {{NOW}} WHERE id = @id AND active_bundle_id = @bundleId"),
            new { id, bundleId, outputPath }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM content WHERE id = @id", new { id }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Replaces the item's process limits (null = use the configuration's).</summary>
    /// <summary>The system user the item's R processes run as (administrators only); null: its own uid.</summary>
    public async Task SetRunAsAsync(long id, string? runAs, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(database.Sql("UPDATE content SET run_as = @runAs, updated_at = {{NOW}} WHERE id = @id"),
            new { id, runAs }, cancellationToken: cancellationToken));
    }

    public async Task SetOverridesAsync(long id, ProcessOverrides o, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            UPDATE content SET min_processes = @MinProcesses, max_processes = @MaxProcesses, max_conns_per_process = @MaxConnsPerProcess,
                load_factor = @LoadFactor, idle_timeout_ms = @IdleTimeoutMs, init_timeout_ms = @InitTimeoutMs, memory_limit = @MemoryLimit, updated_at = {{NOW}}
            WHERE id = @id
            """), new
        {
            id, o.MinProcesses, o.MaxProcesses, o.MaxConnsPerProcess, o.LoadFactor, o.MemoryLimit,
            IdleTimeoutMs = (long?)o.IdleTimeout?.TotalMilliseconds, InitTimeoutMs = (long?)o.InitTimeout?.TotalMilliseconds,
        }, cancellationToken: cancellationToken));
    }

    /// <summary>The environment variables a content item's R processes get.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetEnvironmentAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Name, string Value)>(new CommandDefinition(
            "SELECT name, value FROM content_environment WHERE content_id = @id", new { id }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Name, r => r.Value, StringComparer.Ordinal);
    }

    /// <summary>Sets (or, with a null value, removes) environment variables of a content item.</summary>
    public async Task SetEnvironmentAsync(long id, IReadOnlyDictionary<string, string?> changes, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        foreach (var (name, value) in changes)
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM content_environment WHERE content_id = @id AND name = @name", new { id, name }, transaction, cancellationToken: cancellationToken));
            if (value is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition("INSERT INTO content_environment (content_id, name, value) VALUES (@id, @name, @value)", new { id, name, value }, transaction, cancellationToken: cancellationToken));
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Deployed content that runs as R processes (Shiny, Plumber, interactive R Markdown).</summary>
    public async Task<IReadOnlyList<ContentItem>> ListRunnableAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(SelectContent + " WHERE c.active_bundle_id IS NOT NULL AND c.app_mode IN ('shiny', 'api', 'rmd-shiny') ORDER BY c.id", cancellationToken: cancellationToken));
        return rows.Select(r => Map(r)!).ToList();
    }

    private static ContentItem? Map(Row? r) => r is null ? null : new ContentItem(
        r.Id, r.Guid, r.Name, r.Title, r.Description, r.OwnerId, r.OwnerUsername, r.AppMode, r.ActiveBundleId, r.OutputPath,
        DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt))
    {
        Overrides = new ProcessOverrides(
            r.MinProcesses, r.MaxProcesses, r.MaxConnsPerProcess, r.LoadFactor,
            r.IdleTimeoutMs is { } idle ? TimeSpan.FromMilliseconds(idle) : null,
            r.InitTimeoutMs is { } init ? TimeSpan.FromMilliseconds(init) : null,
            r.MemoryLimit),
        AccessType = r.AccessType,
        RunAs = r.RunAs,
        OwnerGuid = r.OwnerGuid,
        DeployedAt = r.DeployedAt is { } deployed ? DateTimeOffset.FromUnixTimeMilliseconds(deployed) : null,
    };

    private sealed class Row
    {
        public long Id { get; init; }
        public string Guid { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Title { get; init; }
        public string? Description { get; init; }
        public long OwnerId { get; init; }
        public string OwnerUsername { get; init; } = "";
        public string? OwnerGuid { get; init; }
        public string? AppMode { get; init; }
        public long? ActiveBundleId { get; init; }
        public string? OutputPath { get; init; }
        public long CreatedAt { get; init; }
        public long UpdatedAt { get; init; }
        public int? MinProcesses { get; init; }
        public int? MaxProcesses { get; init; }
        public int? MaxConnsPerProcess { get; init; }
        public double? LoadFactor { get; init; }
        public long? IdleTimeoutMs { get; init; }
        public long? InitTimeoutMs { get; init; }
        public long? MemoryLimit { get; init; }
        public string? RunAs { get; init; }
        public long? DeployedAt { get; init; }
        public string AccessType { get; init; } = AccessTypes.Acl;
    }
}
