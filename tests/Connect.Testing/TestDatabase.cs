using Connect.Shared.Configuration;
using Connect.Shared.Data;

namespace Connect.Testing;

/// <summary>
/// A fresh, empty database of either provider, for tests that must pass on both.
/// <see cref="ConfigLines"/> points a node's configuration at it.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly TempDirectory? _folder;
    private readonly TestPostgresDatabase? _postgres;

    private TestDatabase(ConnectDatabase database, TempDirectory? folder, TestPostgresDatabase? postgres)
    {
        Database = database;
        _folder = folder;
        _postgres = postgres;
    }

    public ConnectDatabase Database { get; }

    public DatabaseProvider Provider => Database.Provider;

    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider)
    {
        if (provider == DatabaseProvider.Sqlite)
        {
            var folder = new TempDirectory("connect-sqlite");
            return new TestDatabase(new SqliteDatabase(folder.File("connect.db")), folder, null);
        }

        var postgres = await TestPostgres.CreateDatabaseAsync();
        return new TestDatabase(postgres.Open(), null, postgres);
    }

    /// <summary>gcfg lines that make a node use this database.</summary>
    public string ConfigLines => _postgres is null
        ? $"[Database]\nProvider = sqlite\nDir = {_folder!.Path}\n"
        : $"[Database]\nProvider = postgres\n[Postgres]\nURL = {_postgres.Url}\nPassword = {_postgres.Password}\n";

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        _folder?.Dispose();
    }
}
