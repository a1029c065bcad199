using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Content;

/// <summary>A tag in the tag tree: a top-level tag is a category, its descendants the tags given to content.</summary>
public sealed record Tag(long Id, string Name, long? ParentId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Outcome of creating a tag: made, or why not.</summary>
public sealed record CreateTagResult(Tag? Tag, string? Error, bool MissingParent = false);

/// <summary>The tag tree and the tags of each content item.</summary>
public sealed class TagRepository(ConnectDatabase database)
{
    /// <summary>Longest tag name, as the reference allows.</summary>
    public const int MaxNameLength = 255;

    private const string SelectTag = "SELECT id, name, parent_id, created_at, updated_at FROM tags";

    public static string? ValidateName(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "a tag must have a name"
        : name.Length > MaxNameLength ? $"a tag name is at most {MaxNameLength} characters"
        : null;

    public async Task<IReadOnlyList<Tag>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<Row>(new CommandDefinition(SelectTag + " ORDER BY id", cancellationToken: cancellationToken))).Select(r => r.ToTag()).ToList();
    }

    public async Task<Tag?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(SelectTag + " WHERE id = @id", new { id }, cancellationToken: cancellationToken)))?.ToTag();
    }

    /// <summary>Creates a tag under <paramref name="parentId"/> (null: a category); a sibling of the same name refuses it.</summary>
    public async Task<CreateTagResult> CreateAsync(string name, long? parentId, CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        await using var connection = await database.OpenAsync(cancellationToken);
        if (parentId is { } parent && await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM tags WHERE id = @parent", new { parent }, cancellationToken: cancellationToken)) == 0)
        {
            return new CreateTagResult(null, $"parent tag {parent} does not exist", MissingParent: true);
        }

        var id = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(database.Sql("""
            INSERT INTO tags (name, parent_id, created_at, updated_at) VALUES (@name, @parentId, {{NOW}}, {{NOW}})
            ON CONFLICT DO NOTHING
            RETURNING id
            """), new { name, parentId }, cancellationToken: cancellationToken));
        return id is null
            ? new CreateTagResult(null, $"a tag named '{name}' already exists beside it")
            : new CreateTagResult(await GetAsync(id.Value, cancellationToken), null);
    }

    /// <summary>Deletes a tag with every tag below it, and takes them off content.</summary>
    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM tags WHERE id = @id", new { id }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>The tags of every item that has any, by content id: one query for a whole content list.</summary>
    public async Task<IReadOnlyDictionary<long, IReadOnlyList<Tag>>> OfContentAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ContentTagRow>(new CommandDefinition("""
            SELECT ct.content_id, t.id, t.name, t.parent_id, t.created_at, t.updated_at
            FROM content_tags ct JOIN tags t ON t.id = ct.tag_id ORDER BY t.id
            """, cancellationToken: cancellationToken));
        return rows.GroupBy(r => r.ContentId).ToDictionary(g => g.Key, g => (IReadOnlyList<Tag>)g.Select(r => r.ToTag()).ToList());
    }

    public async Task<IReadOnlyList<Tag>> OfContentAsync(long contentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<Row>(new CommandDefinition("""
            SELECT t.id, t.name, t.parent_id, t.created_at, t.updated_at FROM content_tags ct JOIN tags t ON t.id = ct.tag_id
            WHERE ct.content_id = @contentId ORDER BY t.id
            """, new { contentId }, cancellationToken: cancellationToken))).Select(r => r.ToTag()).ToList();
    }

    /// <summary>Tags an item; false when it had the tag already.</summary>
    public async Task<bool> AddToContentAsync(long contentId, long tagId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO content_tags (content_id, tag_id) VALUES (@contentId, @tagId) ON CONFLICT DO NOTHING",
            new { contentId, tagId }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task<bool> RemoveFromContentAsync(long contentId, long tagId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM content_tags WHERE content_id = @contentId AND tag_id = @tagId", new { contentId, tagId }, cancellationToken: cancellationToken)) == 1;
    }

    private class Row
    {
        public long Id { get; init; }
        public string Name { get; init; } = "";
        public long? ParentId { get; init; }
        public long CreatedAt { get; init; }
        public long UpdatedAt { get; init; }

        public Tag ToTag() => new(Id, Name, ParentId, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt));
    }

    private sealed class ContentTagRow : Row
    {
        public long ContentId { get; init; }
    }
}
