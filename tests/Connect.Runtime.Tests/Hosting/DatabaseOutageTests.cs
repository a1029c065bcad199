using System.Net;
using Connect.Testing;

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

        await postgres.SetConnectionsAllowedAsync(false);
        HttpResponseMessage away;
        try
        {
            away = await admin.GetAsync("__api__/v1/content");
        }
        finally
        {
            await postgres.SetConnectionsAllowedAsync(true);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, away.StatusCode);
        var error = (await NodePublishing.Json(away)).GetProperty("error").GetString();
        Assert.Contains($"the database (PostgreSQL postgres@127.0.0.1", error);
        Assert.Contains("try again", error);
        await Wait.UntilAsync(async () => (await admin.GetAsync("__api__/v1/content")).StatusCode == HttpStatusCode.OK, "the node to use the database again");
    }
}
