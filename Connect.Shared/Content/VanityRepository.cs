using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Content;

/// <summary>A content item's vanity path: <c>/sales/dashboard/</c> serves what <c>/content/{guid}/</c> serves.</summary>
public sealed record Vanity(long ContentId, string ContentGuid, string Path, DateTimeOffset CreatedAt);

/// <summary>Outcome of setting a vanity path: set, or why not (the path is not allowed, or another item's path is in the way).</summary>
public sealed record SetVanityResult(Vanity? Vanity, string? Invalid, string? Conflict);

/// <summary>Vanity paths, at most one per content item, none inside another.</summary>
public sealed class VanityRepository(ConnectDatabase database)
{
    /// <summary>Longest vanity path accepted.</summary>
    public const int MaxLength = 255;

    // The server's own paths, which no vanity may shadow.
    private static readonly string[] Reserved = ["__", "content", "connect", "login", "admin"];

    private const string SelectVanity = """
        SELECT v.content_id, c.guid AS content_guid, v.path, v.created_at FROM vanities v JOIN content c ON c.id = v.content_id
        """;

    /// <summary>
    /// The stored form of <paramref name="path"/> (lower case, one leading and one trailing '/'), or null with the reason
    /// it is not allowed in <paramref name="problem"/>.
    /// </summary>
    public static string? Normalize(string? path, out string? problem)
    {
        var segments = (path ?? "").ToLowerInvariant().Split('/', StringSplitOptions.RemoveEmptyEntries);
        var normalized = "/" + string.Join('/', segments) + "/";
        problem = segments.Length == 0 ? "a vanity path needs at least one segment, such as /sales/"
            : normalized.Length > MaxLength ? $"a vanity path is at most {MaxLength} characters"
            : segments.FirstOrDefault(s => !s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || s.All(c => c == '.')) is { } bad
                ? $"'{bad}' is not allowed in a vanity path (letters, digits, '-', '_' and '.')"
            : Reserved.Any(r => segments[0].StartsWith(r, StringComparison.Ordinal) && (r == "__" || segments[0] == r))
                ? $"/{segments[0]}/ is the server's own; a vanity path cannot start there"
            : null;
        return problem is null ? normalized : null;
    }

    public async Task<IReadOnlyList<Vanity>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<Row>(new CommandDefinition(SelectVanity + " ORDER BY v.path", cancellationToken: cancellationToken)))
            .Select(r => r.ToVanity()).ToList();
    }

    public async Task<Vanity?> GetAsync(long contentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            SelectVanity + " WHERE v.content_id = @contentId", new { contentId }, cancellationToken: cancellationToken));
        return row?.ToVanity();
    }

    /// <summary>
    /// Gives the item <paramref name="path"/> (replacing its previous one). Refused when another item's path is the same,
    /// lies inside it, or holds it inside: a request could not tell which item it is for. With <paramref name="force"/>,
    /// another item that has the very same path loses it to this one (a path moved from one item to another).
    /// </summary>
    public async Task<SetVanityResult> SetAsync(long contentId, string? path, bool force = false, CancellationToken cancellationToken = default)
    {
        if (Normalize(path, out var problem) is not { } normalized)
        {
            return new SetVanityResult(null, problem, null);
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        if (force)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM vanities WHERE path = @normalized AND content_id <> @contentId", new { contentId, normalized }, transaction, cancellationToken: cancellationToken));
        }

        var others = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT path FROM vanities WHERE content_id <> @contentId", new { contentId }, transaction, cancellationToken: cancellationToken));
        if (others.FirstOrDefault(o => o.StartsWith(normalized, StringComparison.Ordinal) || normalized.StartsWith(o, StringComparison.Ordinal)) is { } clash)
        {
            return new SetVanityResult(null, null, $"{normalized} conflicts with {clash}, the vanity path of another item");
        }

        await connection.ExecuteAsync(new CommandDefinition(database.Sql("""
            INSERT INTO vanities (content_id, path, created_at) VALUES (@contentId, @normalized, {{NOW}})
            ON CONFLICT (content_id) DO UPDATE SET path = excluded.path, created_at = excluded.created_at
            """), new { contentId, normalized }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new SetVanityResult(await GetAsync(contentId, cancellationToken), null, null);
    }

    public async Task<bool> DeleteAsync(long contentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM vanities WHERE content_id = @contentId", new { contentId }, cancellationToken: cancellationToken)) == 1;
    }

    private sealed class Row
    {
        public long ContentId { get; init; }
        public string ContentGuid { get; init; } = "";
        public string Path { get; init; } = "";
        public long CreatedAt { get; init; }

        public Vanity ToVanity() => new(ContentId, ContentGuid, Path, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
