using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Content;

public sealed class BundleRepository(ConnectDatabase database)
{
    private const string SelectBundle = "SELECT id, content_id, path, size, app_mode, primary_file, packages, created_at FROM bundles";

    public async Task<Bundle> AddAsync(long contentId, string path, long size, string appMode, string? primaryFile, IReadOnlyList<string> packages, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(database.Sql("""
            INSERT INTO bundles (content_id, path, size, app_mode, primary_file, packages, created_at)
            VALUES (@contentId, @path, @size, @appMode, @primaryFile, @packages, {{NOW}})
            RETURNING id
            """), new { contentId, path, size, appMode, primaryFile, packages = string.Join('\n', packages) }, cancellationToken: cancellationToken));
        return (await GetAsync(id, cancellationToken))!;
    }

    /// <summary>Points a bundle at where its files finally live (known only once its id is).</summary>
    public async Task SetPathAsync(long id, string path, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE bundles SET path = @path WHERE id = @id", new { id, path }, cancellationToken: cancellationToken));
    }

    /// <summary>Removes a bundle row whose files could not be put in place (it was never deployable).</summary>
    public async Task DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM bundles WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<Bundle?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return Map(await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(SelectBundle + " WHERE id = @id", new { id }, cancellationToken: cancellationToken)));
    }

    /// <summary>
    /// Bundles past the newest <paramref name="keep"/> of their item that nothing uses: never the live one, never one of an
    /// item with a deploy or render under way, never one a scheduled render is queued for or runs, and never one that
    /// stopped being live (or, never live, was uploaded) less than <paramref name="settledFor"/> ago: a Shiny session on
    /// the bundle that was live before may still be open on some node.
    /// </summary>
    public async Task<IReadOnlyList<Bundle>> PrunableAsync(int keep, TimeSpan settledFor, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(database.Sql("""
            SELECT b.id, b.content_id, b.path, b.size, b.app_mode, b.primary_file, b.packages, b.created_at FROM bundles b
            JOIN content c ON c.id = b.content_id
            WHERE (c.active_bundle_id IS NULL OR b.id <> c.active_bundle_id)
              AND COALESCE(b.retired_at, b.created_at) < {{NOW}} - @settledMs
              AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.content_id = c.id AND t.finished = 0)
              AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.bundle_id = b.id AND j.status IN ('queued', 'running'))
              AND (SELECT COUNT(*) FROM bundles n WHERE n.content_id = b.content_id AND n.id > b.id) >= @keep
            ORDER BY b.id
            """), new { keep, settledMs = (long)settledFor.TotalMilliseconds }, cancellationToken: cancellationToken));
        return rows.Select(r => Map(r)!).ToList();
    }

    public async Task<IReadOnlyList<Bundle>> ListAsync(long contentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(SelectBundle + " WHERE content_id = @contentId ORDER BY id", new { contentId }, cancellationToken: cancellationToken));
        return rows.Select(r => Map(r)!).ToList();
    }

    private static Bundle? Map(Row? r) => r is null ? null : new Bundle(
        r.Id, r.ContentId, r.Path, r.Size, r.AppMode, r.PrimaryFile,
        string.IsNullOrEmpty(r.Packages) ? [] : r.Packages.Split('\n'),
        DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt));

    private sealed class Row
    {
        public long Id { get; init; }
        public long ContentId { get; init; }
        public string Path { get; init; } = "";
        public long Size { get; init; }
        public string AppMode { get; init; } = "";
        public string? PrimaryFile { get; init; }
        public string? Packages { get; init; }
        public long CreatedAt { get; init; }
    }
}
