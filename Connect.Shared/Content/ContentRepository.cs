using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Content;

public sealed record CreateContentResult(ContentItem? Content, string? Error);

public sealed class ContentRepository(ConnectDatabase database)
{
    private const string SelectContent = """
        SELECT c.id, c.guid, c.name, c.title, c.description, c.owner_id, u.username AS owner_username, c.app_mode,
               c.active_bundle_id, c.output_path, c.created_at, c.updated_at
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
        var id = await connection.ExecuteScalarAsync<long?>(database.Sql("""
            INSERT INTO content (guid, name, title, description, owner_id, created_at, updated_at)
            VALUES (@guid, @name, @title, @description, @ownerId, {{NOW}}, {{NOW}})
            ON CONFLICT (owner_id, name) DO NOTHING
            RETURNING id
            """), new { guid = Guid.NewGuid().ToString(), name, title, description, ownerId });
        return id is null
            ? new CreateContentResult(null, $"you already have content named '{name}'")
            : new CreateContentResult(await GetAsync(id.Value, cancellationToken), null);
    }

    public async Task<ContentItem?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return Map(await connection.QuerySingleOrDefaultAsync<Row>(SelectContent + " WHERE c.id = @id", new { id }));
    }

    public async Task<ContentItem?> GetAsync(string guid, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return Map(await connection.QuerySingleOrDefaultAsync<Row>(SelectContent + " WHERE c.guid = @guid", new { guid }));
    }

    /// <summary>Content owned by <paramref name="ownerId"/> (everyone's when null), optionally with one name, paged.</summary>
    public async Task<(IReadOnlyList<ContentItem> Items, long Total)> ListAsync(
        long? ownerId, string? name, int offset, int count, CancellationToken cancellationToken = default)
    {
        const string where = " WHERE (@ownerId IS NULL OR c.owner_id = @ownerId) AND (@name IS NULL OR c.name = @name)";
        var args = new { ownerId, name, offset, count };
        await using var connection = await database.OpenAsync(cancellationToken);
        var total = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM content c" + where, args);
        var rows = await connection.QueryAsync<Row>(SelectContent + where + " ORDER BY c.id LIMIT @count OFFSET @offset", args);
        return (rows.Select(r => Map(r)!).ToList(), total);
    }

    public async Task UpdateAsync(long id, string? title, string? description, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            database.Sql("UPDATE content SET title = COALESCE(@title, title), description = COALESCE(@description, description), updated_at = {{NOW}} WHERE id = @id"),
            new { id, title, description });
    }

    /// <summary>Makes a deployed bundle (and its rendered output, if any) the one the content's URL serves.</summary>
    public async Task ActivateBundleAsync(long id, Bundle bundle, string? outputPath, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            database.Sql("UPDATE content SET active_bundle_id = @bundleId, app_mode = @appMode, output_path = @outputPath, updated_at = {{NOW}} WHERE id = @id"),
            new { id, bundleId = bundle.Id, appMode = bundle.AppMode, outputPath });
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM content WHERE id = @id", new { id }) == 1;
    }

    private static ContentItem? Map(Row? r) => r is null ? null : new ContentItem(
        r.Id, r.Guid, r.Name, r.Title, r.Description, r.OwnerId, r.OwnerUsername, r.AppMode, r.ActiveBundleId, r.OutputPath,
        DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(r.UpdatedAt));

    private sealed class Row
    {
        public long Id { get; init; }
        public string Guid { get; init; } = "";
        public string Name { get; init; } = "";
        public string? Title { get; init; }
        public string? Description { get; init; }
        public long OwnerId { get; init; }
        public string OwnerUsername { get; init; } = "";
        public string? AppMode { get; init; }
        public long? ActiveBundleId { get; init; }
        public string? OutputPath { get; init; }
        public long CreatedAt { get; init; }
        public long UpdatedAt { get; init; }
    }
}
