using System.Diagnostics;
using System.Globalization;
using Connect.Shared.Cluster;
using Connect.Shared.Data;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Connect.Shared.Operations;

/// <summary>What a move found or did, one line per table.</summary>
public sealed record TableMove(string Table, long SourceRows, long TargetRows, string? Checksum);

/// <summary>Why a move did not happen; the message names the problem and what to do.</summary>
public sealed class DatabaseMoveRefused(string message) : Exception(message);

/// <summary>
/// Moves a single node's SQLite database into PostgreSQL (step 2 of the requirement's HA checklist): both
/// schemas brought to this binary's version, every table copied in dependency order in one PostgreSQL
/// transaction with ids kept and identity sequences set past them, each table's row count and checksum
/// compared before the commit. Nothing is changed on the SQLite side but its schema version. Refused while a
/// node runs against either database, and into a database that already holds data unless told to replace it.
/// </summary>
public sealed class DatabaseMove(SqliteDatabase source, PostgresDatabase target, TextWriter progress)
{
    /// <summary>Copied tables, parents before children so every reference finds its row.</summary>
    public static readonly IReadOnlyList<string> Tables =
    [
        "users", "api_keys", "user_groups", "group_members", "content", "content_environment", "bundles",
        "content_permissions", "tasks", "task_output", "schedules", "jobs", "data_protection_keys",
        "vanities", "tags", "content_tags", "content_visits", "shiny_sessions", "audit_log",
    ];

    /// <summary>
    /// Not copied: the live state of nodes (registrations, published status, console requests). No node runs
    /// during a move, and the nodes that start on PostgreSQL make their own.
    /// </summary>
    public static readonly IReadOnlyList<string> NodeStateTables = ["nodes", "node_status", "node_commands"];

    private static readonly IReadOnlyDictionary<string, ColumnType> PostgresTypes = new Dictionary<string, ColumnType>
    {
        ["integer"] = ColumnType.Integer,
        ["bigint"] = ColumnType.BigInteger,
        ["double precision"] = ColumnType.Double,
        ["text"] = ColumnType.Text,
    };

    /// <summary>Checks everything a move needs and reports the plan; changes nothing.</summary>
    public async Task<IReadOnlyList<TableMove>> PlanAsync(CancellationToken cancellationToken)
    {
        var sourceVersion = await new SchemaState(source).ReadDatabaseVersionAsync(cancellationToken);
        var targetVersion = await new SchemaState(target).ReadDatabaseVersionAsync(cancellationToken);
        if (sourceVersion == 0)
        {
            throw new DatabaseMoveRefused($"{source.Description} has no Connect schema: there is nothing to move.");
        }

        foreach (var (database, version) in new (ConnectDatabase, int)[] { (source, sourceVersion), (target, targetVersion) })
        {
            if (version > Migrations.Latest)
            {
                throw new DatabaseMoveRefused($"{database.Description} is at schema version {version}, newer than this binary's {Migrations.Latest}; use the newer binary.");
            }

            if (version > 0 && (await new NodeRegistry(database, TimeProvider.System).ListAsync(cancellationToken))
                    .Where(n => n.Status == NodeStatus.Running).Select(n => n.Name).ToList() is { Count: > 0 } running)
            {
                throw new DatabaseMoveRefused(
                    $"node(s) {string.Join(", ", running)} are running against {database.Description}; stop every node before moving the database.");
            }
        }

        await progress.WriteLineAsync($"from {source.Description} (schema {sourceVersion})");
        await progress.WriteLineAsync($"to   {target.Description} ({(targetVersion == 0 ? "empty" : $"schema {targetVersion}")})");
        if (sourceVersion < Migrations.Latest || targetVersion < Migrations.Latest)
        {
            await progress.WriteLineAsync($"both schemas are brought to version {Migrations.Latest} first");
        }

        var plan = new List<TableMove>();
        await using var sqlite = await source.OpenAsync(cancellationToken);
        await using var postgres = await target.OpenAsync(cancellationToken);
        foreach (var table in Tables)
        {
            // A table a newer migration adds is empty on the side that has not had it yet.
            var sourceRows = await source.TableExistsAsync(sqlite, table, cancellationToken) ? await sqlite.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM {table}", cancellationToken: cancellationToken)) : 0;
            var targetRows = targetVersion > 0 && await target.TableExistsAsync(postgres, table, cancellationToken) ? await postgres.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM {table}", cancellationToken: cancellationToken)) : 0;
            plan.Add(new TableMove(table, sourceRows, targetRows, null));
            await progress.WriteLineAsync($"  {table,-22} {sourceRows,10:N0} rows{(targetRows > 0 ? $"  (the target has {targetRows:N0})" : "")}");
        }

        await progress.WriteLineAsync($"  not copied: {string.Join(", ", NodeStateTables)} (the state of running nodes; nodes on PostgreSQL make their own)");
        return plan;
    }

    /// <summary>Moves the data; returns each table with its verified checksum. <paramref name="replace"/> empties a target that holds data.</summary>
    public async Task<IReadOnlyList<TableMove>> RunAsync(bool replace, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var plan = await PlanAsync(cancellationToken);
        if (plan.Where(t => t.TargetRows > 0).Select(t => t.Table).ToList() is { Count: > 0 } holding && !replace)
        {
            throw new DatabaseMoveRefused(
                $"{target.Description} already holds data (in {string.Join(", ", holding)}); nothing was copied. Give --replace to empty it first, or point [Postgres] URL at an empty database.");
        }

        foreach (var database in new ConnectDatabase[] { source, target })
        {
            var migrated = await new SchemaMigrator(database, NullLogger<SchemaMigrator>.Instance).MigrateAsync("migrate-database", cancellationToken);
            if (migrated.Status == MigrationStatus.Migrated)
            {
                await progress.WriteLineAsync($"{database.Description}: {migrated.Describe()}");
            }
        }

        await using var sqlite = (SqliteConnection)await source.OpenAsync(cancellationToken);
        await using var postgres = (NpgsqlConnection)await target.OpenAsync(cancellationToken);
        await using var transaction = await postgres.BeginTransactionAsync(cancellationToken);
        // Nothing else may write while the copy runs; a node started meanwhile waits, then finds the data.
        await postgres.ExecuteAsync(new CommandDefinition($"LOCK TABLE {string.Join(", ", Tables.Concat(NodeStateTables))} IN ACCESS EXCLUSIVE MODE", transaction: transaction, cancellationToken: cancellationToken));
        if (replace)
        {
            await postgres.ExecuteAsync(new CommandDefinition($"TRUNCATE {string.Join(", ", Tables)} RESTART IDENTITY CASCADE", transaction: transaction, cancellationToken: cancellationToken));
        }

        var moved = new List<TableMove>();
        foreach (var table in Tables)
        {
            var columns = await ColumnsAsync(postgres, table, transaction, cancellationToken);
            var copied = await CopyAsync(sqlite, postgres, table, columns, cancellationToken);
            var check = await ChecksumAsync(postgres, table, columns, transaction, cancellationToken);
            if (check.Rows != copied.Rows || check.Value() != copied.Value())
            {
                throw new DatabaseMoveRefused(
                    $"{table}: PostgreSQL has {check.Rows:N0} rows after the copy, SQLite {copied.Rows:N0}, and their checksums differ; nothing was committed.");
            }

            await SetIdentityAsync(sqlite, postgres, table, columns, transaction, cancellationToken);
            var sum = copied.Value();
            moved.Add(new TableMove(table, copied.Rows, check.Rows, sum));
            await progress.WriteLineAsync($"  {table,-22} {copied.Rows,10:N0} rows copied, checksum {sum} matches");
        }

        await transaction.CommitAsync(cancellationToken);
        await progress.WriteLineAsync(
            $"moved {moved.Sum(t => t.SourceRows):N0} rows in {moved.Count} tables in {clock.Elapsed.TotalSeconds:0.0} s. " +
            "Set [Database] Provider = postgres in every node's configuration and start them; the SQLite file is left as it was.");
        return moved;
    }

    private static async Task<List<(string Name, ColumnType Type)>> ColumnsAsync(NpgsqlConnection postgres, string table, NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        var rows = await postgres.QueryAsync<(string Name, string Type)>(new CommandDefinition(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table ORDER BY ordinal_position",
            new { table }, transaction, cancellationToken: cancellationToken));
        return rows.Select(r => (r.Name, PostgresTypes.TryGetValue(r.Type, out var type)
            ? type
            : throw new DatabaseMoveRefused($"{table}.{r.Name} has the type {r.Type}, which this binary does not know how to copy"))).ToList();
    }

    /// <summary>Streams the SQLite rows into PostgreSQL's binary COPY, hashing them on the way.</summary>
    private static async Task<TableChecksum> CopyAsync(
        SqliteConnection sqlite, NpgsqlConnection postgres, string table, List<(string Name, ColumnType Type)> columns, CancellationToken cancellationToken)
    {
        var names = string.Join(", ", columns.Select(c => c.Name));
        var types = columns.Select(c => c.Type).ToList();
        var checksum = new TableChecksum();
        await using var read = sqlite.CreateCommand();
        read.CommandText = $"SELECT {names} FROM {table}";
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        await using var import = await postgres.BeginBinaryImportAsync($"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        var values = new object?[columns.Count];
        while (await reader.ReadAsync(cancellationToken))
        {
            TableChecksum.ReadRow(reader, values);
            await import.StartRowAsync(cancellationToken);
            for (var i = 0; i < columns.Count; i++)
            {
                await WriteAsync(import, columns[i].Type, values[i], cancellationToken);
            }

            checksum.Add(types, values);
        }

        await import.CompleteAsync(cancellationToken);
        return checksum;
    }

    private static Task WriteAsync(NpgsqlBinaryImporter import, ColumnType type, object? value, CancellationToken cancellationToken) => value is null
        ? import.WriteNullAsync(cancellationToken)
        : type switch
        {
            ColumnType.Integer => import.WriteAsync(Convert.ToInt32(value, CultureInfo.InvariantCulture), NpgsqlDbType.Integer, cancellationToken),
            ColumnType.BigInteger => import.WriteAsync(Convert.ToInt64(value, CultureInfo.InvariantCulture), NpgsqlDbType.Bigint, cancellationToken),
            ColumnType.Double => import.WriteAsync(Convert.ToDouble(value, CultureInfo.InvariantCulture), NpgsqlDbType.Double, cancellationToken),
            _ => import.WriteAsync(Convert.ToString(value, CultureInfo.InvariantCulture)!, NpgsqlDbType.Text, cancellationToken),
        };

    private static async Task<TableChecksum> ChecksumAsync(
        NpgsqlConnection postgres, string table, List<(string Name, ColumnType Type)> columns, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var types = columns.Select(c => c.Type).ToList();
        var checksum = new TableChecksum();
        await using var read = new NpgsqlCommand($"SELECT {string.Join(", ", columns.Select(c => c.Name))} FROM {table}", postgres, transaction);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        var values = new object?[columns.Count];
        while (await reader.ReadAsync(cancellationToken))
        {
            TableChecksum.ReadRow(reader, values);
            checksum.Add(types, values);
        }

        return checksum;
    }

    /// <summary>
    /// Sets the table's identity past every id SQLite ever gave out (its <c>sqlite_sequence</c>, which remembers
    /// deleted rows too), so an id is never given twice, on either side of the move.
    /// </summary>
    private static async Task SetIdentityAsync(SqliteConnection sqlite, NpgsqlConnection postgres, string table, List<(string Name, ColumnType Type)> columns, NpgsqlTransaction transaction, CancellationToken cancellationToken = default)
    {
        if (!columns.Any(c => c.Name == "id") || await postgres.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT pg_get_serial_sequence(@table, 'id')", new { table }, transaction, cancellationToken: cancellationToken)) is not { } sequence)
        {
            return;
        }

        var given = await sqlite.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT seq FROM sqlite_sequence WHERE name = @table", new { table }, cancellationToken: cancellationToken)) ?? 0;
        var highest = Math.Max(given, await postgres.ExecuteScalarAsync<long?>(new CommandDefinition($"SELECT MAX(id) FROM {table}", transaction: transaction, cancellationToken: cancellationToken)) ?? 0);
        await postgres.ExecuteAsync(new CommandDefinition("SELECT setval(@sequence, @next, false)", new { sequence, next = highest + 1 }, transaction, cancellationToken: cancellationToken));
    }

}
