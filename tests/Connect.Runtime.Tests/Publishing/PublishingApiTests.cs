using System.Net;
using System.Net.Http.Json;
using System.Text;
using Connect.Testing;
using static Connect.Runtime.Tests.Publishing.PublishingNode;

namespace Connect.Runtime.Tests.Publishing;

public class PublishingApiTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    private HttpClient Admin => server.Admin;

    [Fact]
    public async Task Only_an_administrator_sets_run_as_and_memory_limit_stays_within_its_bounds()
    {
        var (added, output) = await server.Node.RunCommandAsync("users", "add", "pia", "--role", "publisher");
        Assert.True(added == 0, output);
        using var pia = server.Node.ClientWithKey(await server.Node.CreateKeyAsync("pia"));
        var guid = (await JsonAsync(await pia.PostAsJsonAsync("__api__/v1/content", new { name = "pias-app" }))).GetProperty("guid").GetString();

        var runAs = await pia.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { run_as = "root" });
        var tiny = await pia.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { memory_limit = 1024 });
        var fine = await pia.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { memory_limit = 512L << 20 });
        var rootByAdmin = await Admin.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { run_as = "root" });

        Assert.Equal(HttpStatusCode.Forbidden, runAs.StatusCode);
        Assert.Contains("only an administrator may set run_as", (await JsonAsync(runAs)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, tiny.StatusCode);
        Assert.Equal(512L << 20, (await JsonAsync(fine)).GetProperty("memory_limit").GetInt64());
        Assert.Equal(HttpStatusCode.BadRequest, rootByAdmin.StatusCode); // content never runs as root
        Assert.Contains("unprivileged", (await JsonAsync(rootByAdmin)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task No_key_or_an_unknown_key_gets_401_in_json()
    {
        var anonymous = await server.Node.Http.GetAsync("__api__/users/current");
        using var stranger = server.Node.ClientWithKey("0123456789abcdef");
        var unknown = await stranger.GetAsync("__api__/applications");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("needs an API key", (await JsonAsync(anonymous)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Contains("not valid", (await JsonAsync(unknown)).GetProperty("error").GetString());

        // server_settings is open to anyone, but a client that checks its key there learns a bad key is bad.
        Assert.Equal(HttpStatusCode.OK, (await server.Node.Http.GetAsync("__api__/server_settings")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Admin.GetAsync("__api__/server_settings")).StatusCode);
        var checkedKey = await stranger.GetAsync("__api__/server_settings");
        Assert.Equal(HttpStatusCode.Unauthorized, checkedKey.StatusCode);
        Assert.Contains("not valid", (await JsonAsync(checkedKey)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_viewer_cannot_publish_and_a_publisher_cannot_touch_others_content()
    {
        using var viewer = await server.UserAsync("vera", "viewer");
        using var publisher = await server.UserAsync("paul", "publisher");
        var (adminApp, _) = await server.CreateApplicationAsync(Admin, "admins-app");

        var viewerCreate = await viewer.PostAsJsonAsync("__api__/applications", new { name = "mine" });
        var paulReads = await publisher.GetAsync($"__api__/applications/{adminApp}");
        var paulUploads = await publisher.PostAsync($"__api__/applications/{adminApp}/upload", Gzip(TestBundles.StaticSite("x")));

        Assert.Equal(HttpStatusCode.Forbidden, viewerCreate.StatusCode);
        Assert.Contains("vera is a viewer", (await JsonAsync(viewerCreate)).GetProperty("error").GetString());
        // Content Paul may not see answers as if it did not exist, and never names its owner.
        Assert.Equal(HttpStatusCode.NotFound, paulReads.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, paulUploads.StatusCode);
        Assert.DoesNotContain("admin", (await JsonAsync(paulUploads)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Unknown_applications_and_endpoints_get_404_in_json()
    {
        var app = await Admin.GetAsync("__api__/applications/987654");
        var deploy = await Admin.PostAsJsonAsync("__api__/applications/987654/deploy", new { bundle = 1 });
        var endpoint = await Admin.GetAsync("__api__/no/such/thing");
        var task = await Admin.GetAsync("__api__/tasks/nope");

        foreach (var response in new[] { app, deploy, endpoint, task })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.False(string.IsNullOrEmpty((await JsonAsync(response)).GetProperty("error").GetString()));
        }

        Assert.Contains("application 987654 does not exist", (await JsonAsync(app)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Deploying_a_static_site_serves_it_and_a_redeploy_replaces_it()
    {
        var (id, guid) = await server.CreateApplicationAsync(Admin, "static-site");

        var first = await server.DeployAsync(Admin, id, TestBundles.StaticSite("version one"));
        Assert.Equal(0, first.GetProperty("code").GetInt32());
        Assert.Contains("version one", await Admin.GetStringAsync($"content/{guid}/"));

        var second = await server.DeployAsync(Admin, id, TestBundles.StaticSite("version two"));
        Assert.Equal(0, second.GetProperty("code").GetInt32());
        Assert.Contains("version two", await Admin.GetStringAsync($"content/{guid}/"));
        var listed = await JsonAsync(await Admin.GetAsync($"__api__/applications?filter=account_id:1&filter=name:static-site&count=100&offset=0"));
        Assert.Equal(1, listed.GetProperty("total").GetInt32());
        Assert.Equal(id, listed.GetProperty("applications")[0].GetProperty("id").GetInt64());
        Assert.EndsWith($"/content/{guid}/", listed.GetProperty("applications")[0].GetProperty("url").GetString());
    }

    [Fact]
    public async Task A_static_file_carries_validators_answers_304_when_unchanged_and_serves_ranges()
    {
        var (id, guid) = await server.CreateApplicationAsync(Admin, "validated-site");
        await server.DeployAsync(Admin, id, TestBundles.StaticSite("version one"));

        var first = await Admin.GetAsync($"content/{guid}/");
        var tag = first.Headers.ETag;
        Assert.NotNull(tag);
        Assert.NotNull(first.Content.Headers.LastModified);
        Assert.True(first.Headers.CacheControl is { Private: true, NoCache: true }, $"Cache-Control: {first.Headers.CacheControl}");

        using var again = new HttpRequestMessage(HttpMethod.Get, $"content/{guid}/");
        again.Headers.IfNoneMatch.Add(tag);
        var unchanged = await Admin.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());

        using var part = new HttpRequestMessage(HttpMethod.Get, $"content/{guid}/");
        part.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 4);
        var range = await Admin.SendAsync(part);
        Assert.Equal(HttpStatusCode.PartialContent, range.StatusCode);
        Assert.Equal(5, (await range.Content.ReadAsByteArrayAsync()).Length);

        // A redeploy is a new version: the old tag no longer matches.
        await server.DeployAsync(Admin, id, TestBundles.StaticSite("version two"));
        using var afterRedeploy = new HttpRequestMessage(HttpMethod.Get, $"content/{guid}/");
        afterRedeploy.Headers.IfNoneMatch.Add(tag);
        var changed = await Admin.SendAsync(afterRedeploy);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Contains("version two", await changed.Content.ReadAsStringAsync());
    }

    public static TheoryData<string, byte[], string> HostileBundles => new()
    {
        { "corrupt gzip", Corrupt(TestBundles.StaticSite("x")), "not a gzip-compressed tar archive" },
        { "not a tar", TestBundles.Gzip(Encoding.UTF8.GetBytes(new string('z', 3000))), "tar" },
        { "dot-dot entry", TestBundles.Create(("manifest.json", TestBundles.Manifest("static", "index.html")), ("../../../escaped.html", "x")), "points outside the bundle" },
        { "absolute entry", TestBundles.Create(("/tmp/connect-absolute-escape.html", "x")), "points outside the bundle" },
        { "symlink out", TestBundles.Create(w => w.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.SymbolicLink, "index.html") { LinkName = "/etc/passwd" })), "points outside the bundle" },
        { "no manifest", TestBundles.Create(("index.html", "x")), "has no manifest.json" },
        { "malformed manifest", TestBundles.Create(("manifest.json", "{ nope"), ("index.html", "x")), "manifest.json is not valid JSON" },
        { "unknown appmode", TestBundles.Create(("manifest.json", TestBundles.Manifest("jupyter-voila")), ("index.html", "x")), "app mode 'jupyter-voila'" },
    };

    [Theory]
    [MemberData(nameof(HostileBundles))]
    public async Task A_bad_bundle_is_refused_by_name_and_changes_nothing(string what, byte[] bundle, string error)
    {
        var (id, guid) = await server.CreateApplicationAsync(Admin, "bad-" + what.Replace(' ', '-'));
        await server.DeployAsync(Admin, id, TestBundles.StaticSite("the good one"));
        var appsDir = Path.Combine(server.Node.DataDir, "apps", id.ToString());
        var before = Directory.GetFileSystemEntries(appsDir);

        var upload = await Admin.PostAsync($"__api__/applications/{id}/upload", Gzip(bundle));

        Assert.Equal(HttpStatusCode.BadRequest, upload.StatusCode);
        Assert.Contains(error, (await JsonAsync(upload)).GetProperty("error").GetString());
        Assert.Equal(before, Directory.GetFileSystemEntries(appsDir));
        Assert.False(File.Exists(Path.Combine(server.Node.DataDir, "escaped.html")));
        Assert.False(File.Exists("/tmp/connect-absolute-escape.html"));
        Assert.Single(await Admin.GetFromJsonAsync<object[]>($"__api__/v1/content/{guid}/bundles") ?? []);
        Assert.Contains("the good one", await Admin.GetStringAsync($"content/{guid}/"));
    }

    [Fact]
    public async Task A_bundle_over_the_size_limit_gets_413_naming_the_limit()
    {
        var (id, _) = await server.CreateApplicationAsync(Admin, "too-big");
        var big = TestBundles.Create(("manifest.json", TestBundles.Manifest("static", "index.html")), ("index.html", RandomText(3 * MaxBundleKiB * 1024)));

        var upload = await Admin.PostAsync($"__api__/applications/{id}/upload", Gzip(big));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, upload.StatusCode);
        Assert.Contains($"Applications.MaxBundleSize = {MaxBundleKiB} KiB", (await JsonAsync(upload)).GetProperty("error").GetString());
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(server.Node.DataDir, "bundles", id.ToString())));
    }

    [Fact]
    public async Task A_deploy_needing_missing_r_packages_fails_by_name_and_keeps_the_old_bundle()
    {
        var (id, guid) = await server.CreateApplicationAsync(Admin, "needs-packages");
        await server.DeployAsync(Admin, id, TestBundles.StaticSite("still here"));
        var needy = TestBundles.Create(
            ("manifest.json", TestBundles.Manifest("static", "index.html", packages: ["shiny", "notARealPackage", "alsoMissing"])),
            ("index.html", "replacement"));

        var task = await server.DeployAsync(Admin, id, needy);

        Assert.Equal(1, task.GetProperty("code").GetInt32());
        var error = task.GetProperty("error").GetString()!;
        Assert.Contains("alsoMissing: not installed on this server", error);
        Assert.Contains("notARealPackage: not installed on this server", error);
        Assert.Contains("still here", await Admin.GetStringAsync($"content/{guid}/"));
    }

    [Fact]
    public async Task An_old_rsconnect_is_refused_with_upgrade_advice_and_newer_clients_pass()
    {
        async Task<HttpResponseMessage> AsAgent(string? agent)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "__api__/users/current");
            request.Headers.Authorization = Admin.DefaultRequestHeaders.Authorization;
            if (agent is not null)
            {
                request.Headers.TryAddWithoutValidation("User-Agent", agent);
            }

            return await server.Node.Http.SendAsync(request);
        }

        var old = await AsAgent("rsconnect/0.8.2");

        Assert.Equal(HttpStatusCode.BadRequest, old.StatusCode);
        var error = (await JsonAsync(old)).GetProperty("error").GetString();
        Assert.Contains("needs rsconnect 0.8.3 or later (you have 0.8.2)", error);
        Assert.Contains("install.packages(\"rsconnect\")", error);
        Assert.Equal(HttpStatusCode.OK, (await AsAgent("rsconnect/0.8.29")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await AsAgent("rsconnect/0.8.3")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await AsAgent("curl/8.0")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await AsAgent(null)).StatusCode);
    }

    [Fact]
    public async Task The_v1_api_creates_uploads_deploys_downloads_renames_and_deletes()
    {
        var create = await Admin.PostAsJsonAsync("__api__/v1/content", new { name = "v1-site", title = "V1 site" });
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var guid = (await JsonAsync(create)).GetProperty("guid").GetString();
        var bundle = TestBundles.StaticSite("from v1");

        var upload = await Admin.PostAsync($"__api__/v1/content/{guid}/bundles", Gzip(bundle));
        var bundleId = (await JsonAsync(upload)).GetProperty("id").GetString();
        var deploy = await Admin.PostAsJsonAsync($"__api__/v1/content/{guid}/deploy", new { bundle_id = bundleId });
        var taskId = (await JsonAsync(deploy)).GetProperty("task_id").GetString();
        var task = await WaitForTaskAsync(Admin, $"__api__/v1/tasks/{taskId}?first=0");

        Assert.Equal(0, task.GetProperty("code").GetInt32());
        Assert.Contains(task.GetProperty("output").EnumerateArray(), line => line.GetString()!.Contains("is now live"));
        Assert.Contains("from v1", await Admin.GetStringAsync($"content/{guid}/"));
        Assert.Equal(bundle, await Admin.GetByteArrayAsync($"__api__/v1/content/{guid}/bundles/{bundleId}/download"));

        var later = await JsonAsync(await Admin.GetAsync($"__api__/v1/tasks/{taskId}?first={task.GetProperty("last").GetInt32()}"));
        Assert.Empty(later.GetProperty("output").EnumerateArray());

        var patched = await JsonAsync(await Admin.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { title = "Renamed" }));
        Assert.Equal("Renamed", patched.GetProperty("title").GetString());
        Assert.Equal(bundleId, patched.GetProperty("bundle_id").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"__api__/v1/content/{guid}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.GetAsync($"content/{guid}/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.GetAsync($"__api__/v1/content/{guid}")).StatusCode);
    }

    [Fact]
    public async Task Content_urls_redirect_to_the_slash_form_and_never_serve_dot_files()
    {
        var (id, guid) = await server.CreateApplicationAsync(Admin, "with-secrets");
        await server.DeployAsync(Admin, id, TestBundles.Create(
            ("manifest.json", TestBundles.Manifest("static", "index.html")), ("index.html", "hi"), (".Renviron", "SECRET=1")));
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Node.BaseUrl };

        var bare = await noRedirects.GetAsync($"content/{guid}");
        var secret = await Admin.GetAsync($"content/{guid}/.Renviron");
        var unknown = await Admin.GetAsync("content/00000000-0000-0000-0000-000000000000/");

        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal($"/content/{guid}/", bare.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.NotFound, secret.StatusCode);
        Assert.DoesNotContain("SECRET", await secret.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("There is no content", await unknown.Content.ReadAsStringAsync());
    }

    private static byte[] Corrupt(byte[] data)
    {
        var copy = (byte[])data.Clone();
        for (var i = 10; i < copy.Length - 8; i += 7)
        {
            copy[i] ^= 0x5A;
        }

        return copy;
    }

    // Random text barely compresses, so the upload itself is over the limit.
    private static string RandomText(int length)
    {
        var random = new Random(42);
        return new string(Enumerable.Range(0, length).Select(_ => (char)random.Next(33, 127)).ToArray());
    }

    [Fact]
    public async Task Clients_read_the_product_api_version_list_applications_with_a_build_status_and_set_variables_without_a_content_type()
    {
        var settings = await JsonAsync(await server.Node.Http.GetAsync("__api__/server_settings"));
        Assert.Equal("2024.08.0", settings.GetProperty("version").GetString());
        Assert.False(string.IsNullOrEmpty(settings.GetProperty("connect_version").GetString()));
        var r = Assert.Single((await JsonAsync(await Admin.GetAsync("__api__/v1/server_settings/r"))).GetProperty("installations").EnumerateArray());
        Assert.Matches(@"^\d+\.\d+\.\d+$", r.GetProperty("version").GetString());
        Assert.Empty((await JsonAsync(await Admin.GetAsync("__api__/v1/server_settings/python"))).GetProperty("installations").EnumerateArray());
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Node.Http.GetAsync("__api__/v1/server_settings/r")).StatusCode);

        // rsconnect's applications() makes a table of these fields: each must be there, and none null.
        var (_, guid) = await server.CreateApplicationAsync(Admin, "listed-with-a-status");
        var listed = (await JsonAsync(await Admin.GetAsync("__api__/applications?filter=name:listed-with-a-status"))).GetProperty("applications")[0];
        foreach (var field in new[] { "id", "name", "url", "build_status", "created_time", "last_deployed_time", "guid" })
        {
            Assert.NotEqual(System.Text.Json.JsonValueKind.Null, listed.GetProperty(field).ValueKind);
        }

        Assert.Equal("none", listed.GetProperty("build_status").GetString());

        // A body sent without a Content-Type is still JSON; a null removes a name, set or not.
        using var put = new HttpRequestMessage(HttpMethod.Put, $"__api__/v1/content/{guid}/environment")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""[{"name": "FIRST", "value": "1"}]""")),
        };
        var replaced = await Admin.SendAsync(put);
        Assert.Equal(["FIRST"], (await JsonAsync(replaced)).EnumerateArray().Select(n => n.GetString()));
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"__api__/v1/content/{guid}/environment")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""[{"name": "NEVER_SET", "value": null}, {"name": "SECOND", "value": "2"}]""")),
        };
        var patched = await Admin.SendAsync(patch);
        Assert.Equal(["FIRST", "SECOND"], (await JsonAsync(patched)).EnumerateArray().Select(n => n.GetString()).Order());
    }

    [Fact]
    public async Task Every_change_made_through_the_api_is_in_the_audit_log_with_who_and_what_for_administrators_only()
    {
        // A publisher of this test's own makes the changes, so its entries are told apart from other tests'.
        using var writer = await server.UserAsync("audit-writer", "publisher");
        var created = await JsonAsync(await writer.PostAsJsonAsync("__api__/v1/content", new { name = "audited-item" }));
        var guid = created.GetProperty("guid").GetString();
        (await writer.PatchAsJsonAsync($"__api__/v1/content/{guid}/environment", new[] { new { name = "AUDITED", value = "yes" } })).EnsureSuccessStatusCode();
        (await writer.DeleteAsync($"__api__/v1/content/{guid}")).EnsureSuccessStatusCode();
        // Refused changes are not changes.
        Assert.Equal(HttpStatusCode.NotFound, (await writer.DeleteAsync($"__api__/v1/content/{guid}")).StatusCode);

        List<System.Text.Json.JsonElement> mine = [];
        await Wait.UntilAsync(async () =>
        {
            var log = await JsonAsync(await Admin.GetAsync("__api__/v1/audit_logs?limit=500"));
            mine = [.. log.GetProperty("results").EnumerateArray().Where(e => e.GetProperty("user_description").GetString() == "audit-writer")];
            return mine.Count >= 3;
        }, "the changes to reach the audit log");

        Assert.Equal(["add_content", "update_environment", "remove_content"], mine.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal($"DELETE /__api__/v1/content/{guid}", mine[2].GetProperty("event_description").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await writer.GetAsync("__api__/v1/audit_logs")).StatusCode);
    }

    [Fact]
    public async Task Todays_clients_find_me_doubled_slashes_and_tasks_polled_with_wait()
    {
        var me = await JsonAsync(await Admin.GetAsync("__api__/me"));
        Assert.Equal("admin", me.GetProperty("username").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Node.Http.GetAsync("__api__/me")).StatusCode);

        var (id, guid) = await server.CreateApplicationAsync(Admin, "doubled-slashes");
        var upload = await Admin.PostAsync($"__api__/applications/{id}/upload", Gzip(TestBundles.StaticSite("found with two slashes")));
        var bundle = long.Parse((await JsonAsync(upload)).GetProperty("id").GetString()!);
        var taskId = (await JsonAsync(await Admin.PostAsJsonAsync($"__api__/applications/{id}/deploy", new { bundle }))).GetProperty("task_id").GetString();

        // Each poll with wait answers once there is a line past `first` or the task is done; a client follows it to the end.
        var first = 0;
        System.Text.Json.JsonElement task = default;
        for (var polls = 0; polls < 100; polls++)
        {
            task = await JsonAsync(await Admin.GetAsync($"__api__/v1/tasks/{taskId}?first={first}&wait=5"));
            Assert.True(task.GetProperty("finished").GetBoolean() || task.GetProperty("output").GetArrayLength() > 0, task.ToString());
            first = task.GetProperty("last").GetInt32();
            if (task.GetProperty("finished").GetBoolean())
            {
                break;
            }
        }

        Assert.Equal(0, task.GetProperty("code").GetInt32());
        var doubled = await Admin.GetStringAsync($"{server.Node.BaseUrl.ToString().TrimEnd('/')}//content/{guid}/");
        Assert.Contains("found with two slashes", doubled);
        Assert.Equal(guid, (await JsonAsync(await Admin.GetAsync($"{server.Node.BaseUrl.ToString().TrimEnd('/')}//__api__/v1/content/{guid}"))).GetProperty("guid").GetString());
    }

    [Fact]
    public async Task Content_made_without_a_name_gets_one_and_only_a_deploy_moves_its_last_deployed_time()
    {
        var created = await Admin.PostAsJsonAsync("__api__/v1/content", new { title = "Made by title alone" });
        var item = await JsonAsync(created);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("untitled-", item.GetProperty("name").GetString());
        var guid = item.GetProperty("guid").GetString();
        Assert.Equal($"https://dashboard.example.org/content/{guid}", item.GetProperty("dashboard_url").GetString());
        var id = item.GetProperty("id").GetInt64();
        var firstSeen = item.GetProperty("last_deployed_time").GetDateTimeOffset();

        await Wait.UntilAsync(() => DateTimeOffset.UtcNow > firstSeen.AddMilliseconds(20), "the clock to move on");
        var patched = await JsonAsync(await Admin.PatchAsJsonAsync($"__api__/v1/content/{guid}", new { title = "Renamed" }));
        Assert.Equal("Renamed", patched.GetProperty("title").GetString());
        Assert.Equal(firstSeen, patched.GetProperty("last_deployed_time").GetDateTimeOffset());

        await server.DeployAsync(Admin, id, TestBundles.StaticSite("deployed"));
        var deployed = await JsonAsync(await Admin.GetAsync($"__api__/v1/content/{guid}"));
        Assert.True(deployed.GetProperty("last_deployed_time").GetDateTimeOffset() > firstSeen);
    }
}

/// <summary>Every publishing and client-behaviour test above, against a node on PostgreSQL.</summary>
public sealed class PublishingApiOnPostgresTests(PostgresPublishingNode server) : PublishingApiTests(server), IClassFixture<PostgresPublishingNode>;

/// <summary>What the first start leaves in the data directory of a node on SQLite (the database file among it).</summary>
public sealed class PublishingNodeFilesTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    [Fact]
    public async Task The_first_start_created_an_admin_and_the_data_directory_database_and_key_file_only_the_server_can_read()
    {
        var keyFile = Path.Combine(server.Node.DataDir, "admin-api-key");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(server.Node.DataDir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(server.Node.DataDir, "db")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(server.Node.DataDir, "db", "connect.db")));
        var me = await JsonAsync(await server.Admin.GetAsync("__api__/users/current"));
        Assert.Equal("admin", me.GetProperty("username").GetString());
        Assert.Equal("administrator", me.GetProperty("user_role").GetString());
        Assert.Contains("Created the administrator 'admin'", server.Node.Output);
    }

    [Fact]
    public async Task The_secret_key_file_is_the_servers_alone_and_the_key_ring_in_the_database_is_ciphertext()
    {
        var keyFile = Path.Combine(Path.GetDirectoryName(server.Node.DataDir)!, "connect.key");
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(server.Node.DataDir, "db", "connect.db")};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT group_concat(xml) FROM data_protection_keys";
        var ring = (string)(await query.ExecuteScalarAsync())!;

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        Assert.Contains("connectEncryptedKey", ring);
        Assert.DoesNotContain("<value>", ring); // no key material in the database in plain text
    }
}
