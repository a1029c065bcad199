using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Content;

public static class PrincipalTypes
{
    public const string User = "user";
    public const string Group = "group";
}

public static class ContentRoles
{
    /// <summary>May view the item.</summary>
    public const string Viewer = "viewer";

    /// <summary>A collaborator: may view and change the item, as its owner does.</summary>
    public const string Owner = "owner";
}

/// <summary>One entry of a content item's permission list: a user or a group, as viewer or owner (collaborator).</summary>
public sealed record ContentPermission(long Id, long ContentId, string PrincipalType, long PrincipalId, string PrincipalGuid, string Role);

/// <summary>The permission lists that <c>acl</c> content is shared through.</summary>
public sealed class PermissionRepository(ConnectDatabase database)
{
    private const string SelectPermission = """
        SELECT p.id, p.content_id, p.principal_type, p.principal_id, COALESCE(u.guid, g.guid) AS principal_guid, p.role
        FROM content_permissions p
        LEFT JOIN users u ON p.principal_type = 'user' AND u.id = p.principal_id
        LEFT JOIN user_groups g ON p.principal_type = 'group' AND g.id = p.principal_id
        """;

    public async Task<IReadOnlyList<ContentPermission>> ListAsync(long contentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<PermissionRow>(new CommandDefinition(
            SelectPermission + " WHERE p.content_id = @contentId ORDER BY p.id", new { contentId }, cancellationToken: cancellationToken))).Select(r => r.ToPermission()).ToList();
    }

    public async Task<ContentPermission?> GetAsync(long contentId, long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<PermissionRow>(new CommandDefinition(
            SelectPermission + " WHERE p.content_id = @contentId AND p.id = @id", new { contentId, id }, cancellationToken: cancellationToken)))?.ToPermission();
    }

    /// <summary>Adds a principal to the list; null when it is on it already.</summary>
    public async Task<ContentPermission?> AddAsync(long contentId, string principalType, long principalId, string role, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(database.Sql("""
            INSERT INTO content_permissions (content_id, principal_type, principal_id, role, created_at)
            VALUES (@contentId, @principalType, @principalId, @role, {{NOW}})
            ON CONFLICT (content_id, principal_type, principal_id) DO NOTHING
            RETURNING id
            """), new { contentId, principalType, principalId, role }, cancellationToken: cancellationToken));
        return id is null ? null : await GetAsync(contentId, id.Value, cancellationToken);
    }

    public async Task<bool> SetRoleAsync(long contentId, long id, string role, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE content_permissions SET role = @role WHERE content_id = @contentId AND id = @id", new { contentId, id, role }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> DeleteAsync(long contentId, long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM content_permissions WHERE content_id = @contentId AND id = @id", new { contentId, id }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>
    /// A row as read: Dapper fills properties value by value, where a record's constructor must match the column types
    /// the provider reports, and SQLite reports the type of the GUID expression only from its first row (a blob for none).
    /// </summary>
    private sealed class PermissionRow
    {
        public long Id { get; init; }

        public long ContentId { get; init; }

        public string PrincipalType { get; init; } = "";

        public long PrincipalId { get; init; }

        public string? PrincipalGuid { get; init; }

        public string Role { get; init; } = "";

        public ContentPermission ToPermission() => new(Id, ContentId, PrincipalType, PrincipalId, PrincipalGuid ?? "", Role);
    }
}
