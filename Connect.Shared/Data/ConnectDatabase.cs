using System.Data.Common;
using Dapper;
using Connect.Shared.Configuration;

namespace Connect.Shared.Data;

/// <summary>
/// The one database of a node (SQLite) or of a cluster (PostgreSQL). Callers write SQL that both
/// dialects accept, with <c>{{NOW}}</c> for the database clock in Unix milliseconds and
/// <c>{{ID}}</c> for an auto-numbered primary key; <see cref="Sql"/> fills them in.
/// Times are stored as Unix milliseconds (BIGINT) so both dialects read and compare them alike.
/// </summary>
public abstract class ConnectDatabase : IAsyncDisposable
{
    static ConnectDatabase()
    {
        // Columns are snake_case, C# members PascalCase.
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    public abstract DatabaseProvider Provider { get; }

    /// <summary>Where the database is, for logs and messages (never includes a password).</summary>
    public abstract string Description { get; }

    /// <summary>SQL for "now" on the database's own clock, in Unix milliseconds.</summary>
    protected abstract string NowMilliseconds { get; }

    protected abstract string IdentityColumn { get; }

    /// <summary>SQL for a new random UUID as text (for rows that existed before their table had GUIDs).</summary>
    protected abstract string RandomUuid { get; }

    /// <summary>What makes a claiming sub-select skip rows other transactions hold (nothing on SQLite, whose writers never overlap).</summary>
    protected virtual string SkipLocked => "";

    /// <summary>Wakes listeners on other nodes (PostgreSQL NOTIFY); a no-op where there are no other nodes.</summary>
    public virtual Task NotifyAsync(string channel, CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>Completes each time <see cref="NotifyAsync"/> is called for <paramref name="channel"/> anywhere; never, on SQLite.</summary>
    public virtual async IAsyncEnumerable<string> ListenAsync(string channel, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        yield break;
    }

    public abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes the cluster-wide lock that makes schema migration a singleton: a PostgreSQL advisory lock
    /// held on <paramref name="connection"/>, or an in-process gate for SQLite (whose write transactions
    /// already exclude other processes).
    /// </summary>
    public Task<IAsyncDisposable> AcquireSchemaLockAsync(DbConnection connection, CancellationToken cancellationToken) =>
        AcquireLockAsync(connection, SchemaLockKey, cancellationToken);

    /// <summary>
    /// Takes a cluster-wide lock named by <paramref name="key"/>, held until the result is disposed or
    /// <paramref name="connection"/> closes (a node that dies lets go): a session-level advisory lock on PostgreSQL,
    /// an in-process gate per database file on SQLite (which only one node can use).
    /// </summary>
    public abstract Task<IAsyncDisposable> AcquireLockAsync(DbConnection connection, long key, CancellationToken cancellationToken);

    private const long SchemaLockKey = 0x436F6E6E656374; // "Connect"

    /// <summary>Starts a transaction that holds the write lock from its first statement.</summary>
    public virtual ValueTask<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection.BeginTransactionAsync(cancellationToken);

    /// <summary>Whether <paramref name="table"/> exists in this database (a newer migration's table may not yet).</summary>
    public async Task<bool> TableExistsAsync(DbConnection connection, string table, CancellationToken cancellationToken = default) => Provider == DatabaseProvider.Postgres
        ? await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT to_regclass(@table) IS NOT NULL", new { table }, cancellationToken: cancellationToken))
        : await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = @table", new { table }, cancellationToken: cancellationToken)) > 0;

    public string Sql(string template) =>
        template.Replace("{{NOW}}", NowMilliseconds, StringComparison.Ordinal)
            .Replace("{{ID}}", IdentityColumn, StringComparison.Ordinal)
            .Replace("{{SKIP_LOCKED}}", SkipLocked, StringComparison.Ordinal)
            .Replace("{{UUID}}", RandomUuid, StringComparison.Ordinal);

    public static ConnectDatabase Create(ConnectOptions options) => options.Database.Provider switch
    {
        DatabaseProvider.Postgres => PostgresDatabase.FromOptions(options.Postgres),
        _ => new SqliteDatabase(Path.Combine(options.DatabaseDir, "connect.db")),
    };

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
