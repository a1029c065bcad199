using Dapper;
using Microsoft.Extensions.Logging;

namespace Connect.Shared.Data;

public enum MigrationStatus
{
    /// <summary>The schema already was the one this binary knows.</summary>
    UpToDate,

    /// <summary>This call applied one or more migrations.</summary>
    Migrated,

    /// <summary>The database has a newer schema than this binary knows: this binary must not use it.</summary>
    DatabaseIsNewer,
}

public sealed record MigrationResult(MigrationStatus Status, int FromVersion, int ToVersion, int BinaryVersion)
{
    public string Describe() => Status switch
    {
        MigrationStatus.UpToDate => $"schema is up to date at version {ToVersion}",
        MigrationStatus.Migrated => $"migrated schema from version {FromVersion} to {ToVersion}",
        _ => $"the database schema is version {FromVersion} but this binary knows only up to version {BinaryVersion}; "
            + "upgrade this node to the release that wrote the schema (or newer) before starting it",
    };
}

/// <summary>
/// Brings the schema up to <see cref="Migrations.Latest"/>. Runs under the schema lock, and each step
/// re-reads the version inside its own write transaction, so nodes starting together migrate exactly once.
/// </summary>
public sealed partial class SchemaMigrator(ConnectDatabase database, ILogger<SchemaMigrator> logger)
{
    private const string CreateVersionTable = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at BIGINT NOT NULL,
            applied_by TEXT NOT NULL
        )
        """;

    public async Task<MigrationResult> MigrateAsync(string appliedBy, CancellationToken cancellationToken = default) =>
        await MigrateAsync(appliedBy, Migrations.All, cancellationToken);

    internal async Task<MigrationResult> MigrateAsync(string appliedBy, IReadOnlyList<Migration> migrations, CancellationToken cancellationToken)
    {
        var binaryVersion = migrations.Count == 0 ? 0 : migrations[^1].Version;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var schemaLock = await database.AcquireSchemaLockAsync(connection, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(CreateVersionTable, cancellationToken: cancellationToken));

        int? from = null;
        while (true)
        {
            await using var transaction = await database.BeginWriteTransactionAsync(connection, cancellationToken);
            var current = await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT MAX(version) FROM schema_version", transaction: transaction, cancellationToken: cancellationToken)) ?? 0;
            from ??= current;
            if (current > binaryVersion)
            {
                return new MigrationResult(MigrationStatus.DatabaseIsNewer, current, current, binaryVersion);
            }

            var next = migrations.FirstOrDefault(m => m.Version > current);
            if (next is null)
            {
                await transaction.CommitAsync(cancellationToken);
                var status = current == from ? MigrationStatus.UpToDate : MigrationStatus.Migrated;
                return new MigrationResult(status, from.Value, current, binaryVersion);
            }

            LogApplying(next.Version, next.Name, database.Description);
            await connection.ExecuteAsync(new CommandDefinition(database.Sql(next.Sql), transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                database.Sql("INSERT INTO schema_version (version, name, applied_at, applied_by) VALUES (@Version, @Name, {{NOW}}, @AppliedBy)"),
                new { next.Version, next.Name, AppliedBy = appliedBy },
                transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Applying schema migration {Version} ({Name}) to {Database}")]
    private partial void LogApplying(int version, string name, string database);
}

/// <summary>Reads which schema version the database is at, without changing anything.</summary>
public sealed class SchemaState(ConnectDatabase database)
{
    public static int BinaryVersion => Migrations.Latest;

    /// <summary>The database's schema version, or 0 for an empty database.</summary>
    public async Task<int> ReadDatabaseVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await database.TableExistsAsync(connection, "schema_version", cancellationToken) ? await connection.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT MAX(version) FROM schema_version", cancellationToken: cancellationToken)) ?? 0 : 0;
    }
}
