using System.Collections.Concurrent;
using System.Data.Common;
using Connect.Shared.Configuration;
using Microsoft.Data.Sqlite;

namespace Connect.Shared.Data;

/// <summary>The embedded single-node database: one SQLite file in <c>Database.Dir</c>, in WAL mode.</summary>
public sealed class SqliteDatabase : ConnectDatabase
{
    // One gate per database file for the whole process: SQLite serialises writers across processes
    // itself, the gate keeps this process's migrating threads from racing each other.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    private readonly string _connectionString;

    public SqliteDatabase(string path)
    {
        FilePath = Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Pooling = true,
            // Seconds a statement waits for another writer before failing with "database is locked".
            DefaultTimeout = 30,
        }.ToString();
    }

    public string FilePath { get; }

    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public override string Description => $"SQLite {FilePath}";

    protected override string NowMilliseconds => "CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)";

    protected override string IdentityColumn => "INTEGER PRIMARY KEY AUTOINCREMENT";

    protected override string RandomUuid =>
        "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || "
        + "substr('89ab', 1 + abs(random()) % 4, 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))";

    public override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(FilePath))
        {
            // SQLite gives its -wal and -shm files the mode of the database file, so all three stay private.
            PrivateFiles.EnsureFolder(Path.GetDirectoryName(FilePath)!);
            PrivateFiles.EnsureFile(FilePath);
        }

        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    public override async Task<IAsyncDisposable> AcquireLockAsync(DbConnection connection, long key, CancellationToken cancellationToken)
    {
        var gate = Gates.GetOrAdd($"{FilePath}#{key}", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Releaser(gate);
    }

    // BEGIN IMMEDIATE takes the write lock up front, so a migration reads the schema version and
    // applies the next step with no other process in between.
    public override ValueTask<DbTransaction> BeginWriteTransactionAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    private sealed class Releaser(SemaphoreSlim gate) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            gate.Release();
            return ValueTask.CompletedTask;
        }
    }
}
