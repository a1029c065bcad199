using System.Net;
using Connect.Testing;
using Npgsql;

namespace Connect.Runtime.Tests.Hosting;

public sealed class DatabaseOutageTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task While_the_database_is_away_api_calls_get_503_naming_it_and_work_again_when_it_returns()
    {
        await using var postgres = await TestPostgres.CreateDatabaseAsync();
        var config = $"[Database]\nProvider = postgres\n[Postgres]\nURL = {postgres.Url}\nPassword = {postgres.Password}\n";
        await using var node = NodeProcess.Start(_folder, "node", config);
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("__api__/v1/content")).StatusCode);

        await SetConnectionsAllowedAsync(postgres.Name, false);
        HttpResponseMessage away;
        try
        {
            away = await admin.GetAsync("__api__/v1/content");
        }
        finally
        {
            await SetConnectionsAllowedAsync(postgres.Name, true);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, away.StatusCode);
        var error = (await NodePublishing.Json(away)).GetProperty("error").GetString();
        Assert.Contains($"the database (PostgreSQL postgres@127.0.0.1", error);
        Assert.Contains("try again", error);
        await Wait.UntilAsync(async () => (await admin.GetAsync("__api__/v1/content")).StatusCode == HttpStatusCode.OK, "the node to use the database again");
    }

    /// <summary>Closes the database to new connections and ends the open ones (its pools included), or opens it again.</summary>
    private static async Task SetConnectionsAllowedAsync(string database, bool allowed)
    {
        Connect.Shared.Data.PostgresConnectionString.TryBuild(TestPostgres.ServerUrl, TestPostgres.Password, out var connectionString, out _);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var alter = new NpgsqlCommand($"ALTER DATABASE {database} ALLOW_CONNECTIONS {allowed.ToString().ToLowerInvariant()}", connection);
        await alter.ExecuteNonQueryAsync();
        if (!allowed)
        {
            await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @database", connection);
            terminate.Parameters.AddWithValue("database", database);
            await terminate.ExecuteNonQueryAsync();
        }
    }
}
