using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Usage;

/// <summary>
/// Page views of an item: who (null: anonymous), which bundle was live, which path, when (the first of them); <paramref name="Hits"/>
/// views of that page by that viewer within one second are one record.
/// </summary>
public sealed record ContentVisit(long ContentId, long? UserId, long? BundleId, string Path, DateTimeOffset At, long Hits = 1);

/// <summary>One Shiny session of an item, from its WebSocket's opening to its end.</summary>
public sealed record ShinySession(long ContentId, long? UserId, DateTimeOffset Started, DateTimeOffset Ended);

/// <summary>One change made through the API: who (an id kept even after the user is gone), what, when.</summary>
public sealed record AuditEntry(long? UserId, string UserDescription, string Action, string EventDescription, DateTimeOffset At);

public sealed record AuditEntryRow(long Id, long? UserId, string UserDescription, string Action, string EventDescription, DateTimeOffset At);

/// <summary>An item's use on one day (UTC): its page views and the Shiny sessions that began that day.</summary>
public sealed record UsageDay(DateOnly Day, long Views, long Sessions);

/// <summary>A visit as listed: with the item's and the user's GUIDs, and the paging cursor that follows it.</summary>
public sealed record ContentVisitRow(string Cursor, string ContentGuid, string? UserGuid, long? BundleId, string Path, DateTimeOffset At);

public sealed record ShinySessionRow(long Id, string ContentGuid, string? UserGuid, DateTimeOffset Started, DateTimeOffset Ended);

/// <summary>
/// What a usage list is narrowed to: one item, a time range, records after a cursor (the row <see cref="After"/>, or,
/// with <see cref="AfterHits"/>, that many of that row's hits); at most <see cref="Limit"/>.
/// </summary>
public sealed record UsageFilter(string? ContentGuid, DateTimeOffset? From, DateTimeOffset? To, long After, int Limit, long AfterHits = 0);

/// <summary>Usage records: written in batches by each node's recorder, read by the instrumentation API and the dashboard.</summary>
public sealed class UsageRepository(ConnectDatabase database)
{
    /// <summary>Rows of one multi-row insert: 6 parameters each, well within SQLite's and PostgreSQL's limits.</summary>
    private const int VisitsPerStatement = 200;

    // Built the first time each size is written (most batches are full statements of VisitsPerStatement rows).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> VisitsInserts = new();

    /// <summary>
    /// The insert of <paramref name="rows"/> visits in one statement (VALUES columns are column1..7 in both databases),
    /// in the order they came: the ids it gives are the listing's cursor.
    /// </summary>
    private static string VisitsInsert(int rows) => VisitsInserts.GetOrAdd(rows, n => $"""
        INSERT INTO content_visits (content_id, user_id, bundle_id, path, visited_at, hits)
        SELECT v.column1, u.id, v.column3, v.column4, v.column5, v.column6
        FROM (VALUES {string.Join(", ", Enumerable.Range(0, n).Select(i => $"(@c{i}, @u{i}, @b{i}, @p{i}, @t{i}, @h{i}, {i})"))}) AS v
        JOIN content ON content.id = v.column1 LEFT JOIN users u ON u.id = v.column2
        ORDER BY v.column7
        """);

    private static DynamicParameters VisitParameters(IReadOnlyList<ContentVisit> visits)
    {
        var parameters = new DynamicParameters();
        for (var i = 0; i < visits.Count; i++)
        {
            var v = visits[i];
            parameters.Add($"c{i}", v.ContentId, System.Data.DbType.Int64);
            parameters.Add($"u{i}", v.UserId, System.Data.DbType.Int64);
            parameters.Add($"b{i}", v.BundleId, System.Data.DbType.Int64);
            parameters.Add($"p{i}", v.Path, System.Data.DbType.String);
            parameters.Add($"t{i}", v.At.ToUnixTimeMilliseconds(), System.Data.DbType.Int64);
            parameters.Add($"h{i}", v.Hits, System.Data.DbType.Int64);
        }

        return parameters;
    }

    public async Task AddAsync(IReadOnlyList<ContentVisit> visits, IReadOnlyList<ShinySession> sessions, CancellationToken cancellationToken = default) =>
        await AddAsync(visits, sessions, [], cancellationToken);

    public async Task AddAsync(IReadOnlyList<ContentVisit> visits, IReadOnlyList<ShinySession> sessions, IReadOnlyList<AuditEntry> audit,
        CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
        // An item deleted meanwhile has no row left to point at: its records go with it, as they would have. Page views
        // come by the tens of thousands a second at peak, so they go in as many rows per statement as it may carry.
        foreach (var chunk in visits.Chunk(VisitsPerStatement))
        {
            await connection.ExecuteAsync(new CommandDefinition(VisitsInsert(chunk.Length), VisitParameters(chunk), transaction, cancellationToken: cancellationToken));
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO shiny_sessions (content_id, user_id, started_at, ended_at)
            SELECT @ContentId, (SELECT id FROM users WHERE id = @UserId), @Started, @Ended
            WHERE EXISTS (SELECT 1 FROM content WHERE id = @ContentId)
            """, sessions.Select(s => new { s.ContentId, s.UserId, Started = s.Started.ToUnixTimeMilliseconds(), Ended = s.Ended.ToUnixTimeMilliseconds() }),
            transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO audit_log (user_id, user_description, action, event_description, logged_at)
            VALUES (@UserId, @UserDescription, @Action, @EventDescription, @At)
            """, audit.Select(a => new { a.UserId, a.UserDescription, a.Action, a.EventDescription, At = a.At.ToUnixTimeMilliseconds() }), transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The audit log from the cursor <paramref name="after"/> on, oldest first (or newest first, before it).</summary>
    public async Task<IReadOnlyList<AuditEntryRow>> AuditAsync(long? after, long? before, int limit, bool ascending, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, long? UserId, string UserDescription, string Action, string EventDescription, long At)>(new CommandDefinition($"""
            SELECT id, user_id, user_description, action, event_description, logged_at FROM audit_log
            WHERE (@after IS NULL OR id > @after) AND (@before IS NULL OR id < @before)
            ORDER BY id {(ascending ? "ASC" : "DESC")} LIMIT @limit
            """, new { after, before, limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new AuditEntryRow(r.Id, r.UserId, r.UserDescription, r.Action, r.EventDescription, DateTimeOffset.FromUnixTimeMilliseconds(r.At)))];
    }

    /// <summary>An item's use per day (UTC) since <paramref name="since"/>, newest first; days without any are left out.</summary>
    public async Task<IReadOnlyList<UsageDay>> DailyAsync(long contentId, DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        const long Day = 86_400_000;
        await using var connection = await database.OpenAsync(cancellationToken);
        var parameters = new { contentId, since = since.ToUnixTimeMilliseconds() };
        var views = (await connection.QueryAsync<(long Day, long Count)>(new CommandDefinition(
            $"SELECT visited_at / {Day}, SUM(hits) FROM content_visits WHERE content_id = @contentId AND visited_at >= @since GROUP BY visited_at / {Day}",
            parameters, cancellationToken: cancellationToken))).ToDictionary(r => r.Day, r => r.Count);
        var sessions = (await connection.QueryAsync<(long Day, long Count)>(new CommandDefinition(
            $"SELECT started_at / {Day}, COUNT(*) FROM shiny_sessions WHERE content_id = @contentId AND started_at >= @since GROUP BY started_at / {Day}",
            parameters, cancellationToken: cancellationToken))).ToDictionary(r => r.Day, r => r.Count);
        return [.. views.Keys.Union(sessions.Keys).OrderDescending().Select(day => new UsageDay(
            DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(day * Day).UtcDateTime), views.GetValueOrDefault(day), sessions.GetValueOrDefault(day)))];
    }

    /// <summary>Deletes visits and sessions older than <paramref name="age"/>; returns how many went.</summary>
    public async Task<int> PruneAsync(TimeSpan age, CancellationToken cancellationToken = default)
    {
        var ageMs = (long)age.TotalMilliseconds;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(database.Sql("DELETE FROM content_visits WHERE visited_at < {{NOW}} - @ageMs"), new { ageMs },
                cancellationToken: cancellationToken))
            + await connection.ExecuteAsync(new CommandDefinition(database.Sql("DELETE FROM shiny_sessions WHERE ended_at < {{NOW}} - @ageMs"), new { ageMs },
                cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Visits one by one, a row's hits each listed, at most <see cref="UsageFilter.Limit"/>; each carries the cursor
    /// after it (<c>{row}</c>, or <c>{row}.{hits given}</c> inside a row).
    /// </summary>
    public async Task<IReadOnlyList<ContentVisitRow>> VisitsAsync(UsageFilter filter, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string ContentGuid, string? UserGuid, long? BundleId, string Path, long At, long Hits)>(new CommandDefinition($"""
            SELECT v.id, c.guid, u.guid, v.bundle_id, v.path, v.visited_at, v.hits FROM content_visits v
            JOIN content c ON c.id = v.content_id LEFT JOIN users u ON u.id = v.user_id
            WHERE {Where("v", "visited_at", filter)} ORDER BY v.id LIMIT @Limit
            """, Parameters(filter), cancellationToken: cancellationToken));
        var visits = new List<ContentVisitRow>();
        foreach (var r in rows)
        {
            for (var hit = r.Id == filter.After ? filter.AfterHits : 0; hit < r.Hits && visits.Count < filter.Limit; hit++)
            {
                var cursor = hit + 1 == r.Hits ? $"{r.Id}" : $"{r.Id}.{hit + 1}";
                visits.Add(new ContentVisitRow(cursor, r.ContentGuid, r.UserGuid, r.BundleId, r.Path, DateTimeOffset.FromUnixTimeMilliseconds(r.At)));
            }
        }

        return visits;
    }

    public async Task<IReadOnlyList<ShinySessionRow>> ShinySessionsAsync(UsageFilter filter, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string ContentGuid, string? UserGuid, long Started, long Ended)>(new CommandDefinition($"""
            SELECT s.id, c.guid, u.guid, s.started_at, s.ended_at FROM shiny_sessions s
            JOIN content c ON c.id = s.content_id LEFT JOIN users u ON u.id = s.user_id
            WHERE {Where("s", "started_at", filter)} ORDER BY s.id LIMIT @Limit
            """, Parameters(filter), cancellationToken: cancellationToken));
        return [.. rows.Select(r => new ShinySessionRow(r.Id, r.ContentGuid, r.UserGuid,
            DateTimeOffset.FromUnixTimeMilliseconds(r.Started), DateTimeOffset.FromUnixTimeMilliseconds(r.Ended)))];
    }

    /// <summary>Only the conditions asked for, so the database can use its (item, time) index for an item's day.</summary>
    private static string Where(string alias, string time, UsageFilter f) => string.Join(" AND ", new[]
    {
        f.AfterHits > 0 ? $"{alias}.id >= @After" : $"{alias}.id > @After",
        f.ContentGuid is null ? null : $"{alias}.content_id = (SELECT id FROM content WHERE guid = @ContentGuid)",
        f.From is null ? null : $"{alias}.{time} >= @From",
        f.To is null ? null : $"{alias}.{time} < @To",
    }.OfType<string>());

    private static object Parameters(UsageFilter f) => new
    {
        f.After,
        f.ContentGuid,
        From = f.From?.ToUnixTimeMilliseconds(),
        To = f.To?.ToUnixTimeMilliseconds(),
        f.Limit,
    };
}
