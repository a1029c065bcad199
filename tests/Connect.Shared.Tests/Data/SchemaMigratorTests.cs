using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Testing;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Shared.Tests.Data;

public sealed class SchemaMigratorTests
{
    private static SchemaMigrator Migrator(ConnectDatabase database) => new(database, NullLogger<SchemaMigrator>.Instance);

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task An_empty_database_is_migrated_to_the_latest_schema(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);

        var result = await Migrator(test.Database).MigrateAsync("node-a");

        Assert.Equal(new MigrationResult(MigrationStatus.Migrated, 0, Migrations.Latest, Migrations.Latest), result);
        Assert.Equal(Migrations.Latest, await new SchemaState(test.Database).ReadDatabaseVersionAsync());
        await using var connection = await test.Database.OpenAsync();
        foreach (var table in new[] { "users", "api_keys", "content", "bundles", "tasks", "jobs", "schedules", "nodes" })
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}"));
        }

        Assert.Equal("node-a", await connection.ExecuteScalarAsync<string>("SELECT applied_by FROM schema_version WHERE version = 1"));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Migrating_twice_changes_nothing_the_second_time(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);
        await Migrator(test.Database).MigrateAsync("node-a");

        var second = await Migrator(test.Database).MigrateAsync("node-b");

        Assert.Equal(MigrationStatus.UpToDate, second.Status);
        await using var connection = await test.Database.OpenAsync();
        Assert.Equal(Migrations.Latest, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_version"));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_later_binary_applies_only_the_new_steps(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);
        await Migrator(test.Database).MigrateAsync("old-node");
        var next = new Migration(Migrations.Latest + 1, "add a column", "ALTER TABLE nodes ADD COLUMN note TEXT");

        var result = await Migrator(test.Database).MigrateAsync("new-node", [.. Migrations.All, next], CancellationToken.None);

        Assert.Equal(new MigrationResult(MigrationStatus.Migrated, Migrations.Latest, next.Version, next.Version), result);
        await using var connection = await test.Database.OpenAsync();
        Assert.Equal("new-node", await connection.ExecuteScalarAsync<string>("SELECT applied_by FROM schema_version WHERE version = @v", new { v = next.Version }));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_schema_newer_than_the_binary_is_refused_and_left_alone(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);
        var future = new Migration(Migrations.Latest + 1, "from the future", "CREATE TABLE future (id INTEGER)");
        await Migrator(test.Database).MigrateAsync("new-node", [.. Migrations.All, future], CancellationToken.None);

        var result = await Migrator(test.Database).MigrateAsync("old-node");

        Assert.Equal(MigrationStatus.DatabaseIsNewer, result.Status);
        Assert.Equal(future.Version, result.FromVersion);
        Assert.Contains($"schema is version {future.Version}", result.Describe());
        Assert.Contains($"only up to version {Migrations.Latest}", result.Describe());
        Assert.Equal(future.Version, await new SchemaState(test.Database).ReadDatabaseVersionAsync());
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Concurrent_migrations_apply_each_step_exactly_once(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);

        // Separate database objects: as separate nodes would have, sharing nothing in memory but the file gate.
        var databases = Enumerable.Range(0, 4).Select(_ => provider == DatabaseProvider.Sqlite
            ? (ConnectDatabase)new SqliteDatabase(((SqliteDatabase)test.Database).FilePath)
            : test.Database).ToList();
        var results = await Task.WhenAll(databases.Select((db, i) => Migrator(db).MigrateAsync($"node-{i}")));

        Assert.Single(results, r => r.Status == MigrationStatus.Migrated);
        Assert.Equal(3, results.Count(r => r.Status == MigrationStatus.UpToDate));
        await using var connection = await test.Database.OpenAsync();
        Assert.Equal(Migrations.Latest, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM schema_version"));
    }

    [Fact]
    public async Task An_unreachable_postgres_fails_with_a_database_error()
    {
        PostgresConnectionString.TryBuild($"postgres://nobody@127.0.0.1:{FreePort.Next()}/none", null, out var connectionString, out _);
        await using var database = new PostgresDatabase(connectionString);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => Migrator(database).MigrateAsync("node-a"));

        Assert.True(DatabaseErrors.IsConnectionProblem(error), error.ToString());
    }
}
