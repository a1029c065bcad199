using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.Testing;

namespace Connect.Runtime.Tests.Publishing;

/// <summary>One real node on SQLite for a test class, with a small bundle limit and rsconnect version enforcement on.</summary>
public class PublishingNode : IAsyncLifetime
{
    public const int MaxBundleKiB = 64;

    private readonly TempDirectory _folder = new("connect-publishing");

    /// <summary>The dashboard's address the node is told (<c>Server.DashboardAddress</c>), so items' <c>dashboard_url</c> lead there.</summary>
    public const string DashboardAddress = "https://dashboard.example.org/";

    public NodeProcess Node { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    /// <summary>Configuration lines naming the database; none: SQLite in the data folder.</summary>
    protected virtual Task<string> DatabaseConfigAsync() => Task.FromResult("");

    public async Task InitializeAsync()
    {
        Node = NodeProcess.Start(_folder, "publisher-node", $"""
            DashboardAddress = {DashboardAddress}
            [Applications]
            MaxBundleSize = {MaxBundleKiB} KiB
            [LoadBalancing]
            EnforceMinRsconnectVersion = true
            {await DatabaseConfigAsync()}
            """);
        await Node.WaitUntilServingAsync();
        Admin = Node.ClientWithKey(Node.AdminKey);
    }

    public virtual async Task DisposeAsync()
    {
        Admin.Dispose();
        await Node.DisposeAsync();
        _folder.Dispose();
    }

    /// <summary>Creates a user with a role and returns a client holding their new key.</summary>
    public async Task<HttpClient> UserAsync(string name, string role)
    {
        var (added, output) = await Node.RunCommandAsync("users", "add", name, "--role", role);
        Assert.True(added == 0, output);
        return Node.ClientWithKey(await Node.CreateKeyAsync(name));
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public static ByteArrayContent Gzip(byte[] bundle)
    {
        var content = new ByteArrayContent(bundle);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-gzip");
        return content;
    }

    /// <summary>Creates an application through the legacy API and returns its id and guid.</summary>
    public async Task<(long Id, string Guid)> CreateApplicationAsync(HttpClient client, string name)
    {
        var response = await client.PostAsJsonAsync("__api__/applications", new { name, title = name });
        var json = await JsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return (json.GetProperty("id").GetInt64(), json.GetProperty("guid").GetString()!);
    }

    /// <summary>Uploads and deploys a bundle as rsconnect does; returns the finished task's JSON.</summary>
    public async Task<JsonElement> DeployAsync(HttpClient client, long appId, byte[] bundle)
    {
        var upload = await client.PostAsync($"__api__/applications/{appId}/upload", Gzip(bundle));
        var uploaded = await JsonAsync(upload);
        Assert.True(upload.IsSuccessStatusCode, uploaded.ToString());
        var deploy = await client.PostAsJsonAsync($"__api__/applications/{appId}/deploy", new { bundle = long.Parse(uploaded.GetProperty("id").GetString()!) });
        var taskId = (await JsonAsync(deploy)).GetProperty("task_id").GetString();
        return await WaitForTaskAsync(client, $"__api__/tasks/{taskId}?first_status=0");
    }

    public static async Task<JsonElement> WaitForTaskAsync(HttpClient client, string url)
    {
        JsonElement task = default;
        await Wait.UntilAsync(async () =>
        {
            task = await JsonAsync(await client.GetAsync(url));
            return task.GetProperty("finished").GetBoolean();
        }, $"task {url} to finish");
        return task;
    }
}

/// <summary>The same node on a PostgreSQL database of its own.</summary>
public sealed class PostgresPublishingNode : PublishingNode
{
    private TestPostgresDatabase? _postgres;

    protected override async Task<string> DatabaseConfigAsync()
    {
        _postgres = await TestPostgres.CreateDatabaseAsync();
        return $"""
            [Database]
            Provider = postgres
            [Postgres]
            URL = {_postgres.Url}
            Password = {_postgres.Password}
            """;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
