using Connect.Shared.Data;
using Npgsql;

namespace Connect.Testing;

/// <summary>
/// The throw-away PostgreSQL server that scripts/test.sh starts. Each test gets a database of its
/// own, dropped afterwards, so tests never see each other's rows.
/// </summary>
public static class TestPostgres
{
    public const string UrlVariable = "CONNECT_TEST_POSTGRES_URL";
    public const string PasswordVariable = "CONNECT_TEST_POSTGRES_PASSWORD";

    public static string ServerUrl => Environment.GetEnvironmentVariable(UrlVariable)
        ?? throw new InvalidOperationException(
            $"{UrlVariable} is not set. Run the tests with scripts/test.sh, which starts a throw-away PostgreSQL server and sets it.");

    public static string? Password => Environment.GetEnvironmentVariable(PasswordVariable);

    public static async Task<TestPostgresDatabase> CreateDatabaseAsync()
    {
        var name = $"connect_test_{Guid.NewGuid():N}";
        await using (var admin = await OpenServerAsync())
        await using (var command = new NpgsqlCommand($"CREATE DATABASE {name}", admin))
        {
            await command.ExecuteNonQueryAsync();
        }

        var server = new Uri(ServerUrl);
        var url = new UriBuilder(server) { Path = "/" + name }.Uri.ToString();
        return new TestPostgresDatabase(name, url, Password);
    }

    internal static async Task<NpgsqlConnection> OpenServerAsync()
    {
        if (!PostgresConnectionString.TryBuild(ServerUrl, Password, out var connectionString, out var problem))
        {
            throw new InvalidOperationException($"{UrlVariable}: {problem}");
        }

        var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        return connection;
    }
}

public sealed class TestPostgresDatabase(string name, string url, string? password) : IAsyncDisposable
{
    public string Name { get; } = name;

    /// <summary>The value for <c>Postgres.URL</c>.</summary>
    public string Url { get; } = url;

    /// <summary>The value for <c>Postgres.Password</c>.</summary>
    public string? Password { get; } = password;

    /// <summary>
    /// An outage of this database, as its nodes see it: closed to new connections and its open ones
    /// (pools included) ended; <c>false</c> opens it again.
    /// </summary>
    public async Task SetConnectionsAllowedAsync(bool allowed)
    {
        PostgresConnectionString.TryBuild(TestPostgres.ServerUrl, TestPostgres.Password, out var connectionString, out _);
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var alter = new Npgsql.NpgsqlCommand($"ALTER DATABASE {Name} ALLOW_CONNECTIONS {allowed.ToString().ToLowerInvariant()}", connection);
        await alter.ExecuteNonQueryAsync();
        if (!allowed)
        {
            await using var terminate = new Npgsql.NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @database", connection);
            terminate.Parameters.AddWithValue("database", Name);
            await terminate.ExecuteNonQueryAsync();
        }
    }

    public PostgresDatabase Open()
    {
        PostgresConnectionString.TryBuild(Url, Password, out var connectionString, out _);
        return new PostgresDatabase(connectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = await TestPostgres.OpenServerAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
        await command.ExecuteNonQueryAsync();
    }
}
