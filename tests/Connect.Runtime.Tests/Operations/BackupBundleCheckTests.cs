using Connect.Runtime.Operations;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Users;
using Connect.Testing;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Runtime.Tests.Operations;

/// <summary>A backup checks its copied files against the database it copied, not against a live database that moved on.</summary>
public sealed class BackupBundleCheckTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-backup-check");

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task The_bundle_check_reads_the_copy_of_the_database_even_after_the_live_one_lost_the_bundle(DatabaseProvider provider)
    {
        await using var test = await TestDatabase.CreateAsync(provider);
        await new SchemaMigrator(test.Database, NullLogger<SchemaMigrator>.Instance).MigrateAsync("test");
        var owner = (await new UserRepository(test.Database).AddAsync("pub", UserRole.Publisher)).User!;
        var content = (await new ContentRepository(test.Database).CreateAsync(owner.Id, "report", null)).Content!;
        var bundle = await new BundleRepository(test.Database).AddAsync(content.Id, "bundles/1/1", 10, "static", "index.html", []);
        var copy = await CopyAsync(test.Database);

        // Deleted from the live database after the copy was taken (the pause had lapsed): the copy still names it.
        await using (var connection = await test.Database.OpenAsync())
        {
            await connection.ExecuteAsync("DELETE FROM bundles WHERE id = @Id", new { bundle.Id });
        }

        var backup = new Backup(new ConnectOptions(), test.Database, TextWriter.Null);
        Assert.Equal(["bundles/1/1"], await backup.BundlePathsInAsync(copy, CancellationToken.None));
    }

    private async Task<string> CopyAsync(ConnectDatabase database)
    {
        if (database is PostgresDatabase postgres)
        {
            var dump = _folder.File("connect.pgdump");
            await PostgresTools.DumpAsync(postgres.ConnectionString, dump, CancellationToken.None);
            return dump;
        }

        var file = _folder.File("connect.db");
        await using var source = new SqliteConnection($"Data Source={((SqliteDatabase)database).FilePath};Pooling=false");
        await using var destination = new SqliteConnection($"Data Source={file};Pooling=false");
        await source.OpenAsync();
        await destination.OpenAsync();
        source.BackupDatabase(destination);
        return file;
    }
}
