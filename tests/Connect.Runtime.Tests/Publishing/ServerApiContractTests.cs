using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Connect.Runtime.Tests.Publishing.PublishingNode;

namespace Connect.Runtime.Tests.Publishing;

/// <summary>
/// The v1 server API against the shapes the modelled product's clients expect: every error in
/// <c>{"code": N, "error": "...", "payload": null}</c> with the right status, for every role; the fields and types
/// of users and content; paging; filters. On SQLite here; <see cref="ServerApiContractOnPostgresTests"/> holds it on
/// PostgreSQL.
/// </summary>
public class ServerApiContractTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    private const string Nobody = "00000000-0000-0000-0000-000000000000";

    [Fact]
    public async Task Every_route_answers_each_role_with_its_status_and_every_error_in_the_products_shape()
    {
        using var viewer = await server.UserAsync("contract-viewer", "viewer");
        using var publisher = await server.UserAsync("contract-publisher", "publisher");
        var admin = server.Admin;
        var anonymous = server.Node.Http;
        var (_, hidden) = await server.CreateApplicationAsync(admin, "contract-hidden");
        var made = await admin.PostAsJsonAsync("__api__/v1/groups", new { name = "contract-admins-group" });
        var adminsGroup = (await JsonAsync(made)).GetProperty("guid").GetString();
        var clients = new Dictionary<string, HttpClient> { ["anonymous"] = anonymous, ["viewer"] = viewer, ["publisher"] = publisher, ["admin"] = admin };

        // method, path, body, then the status (and error code, 0 for success) for anonymous, viewer, publisher, admin.
        (string Method, string Path, object? Body, (int Status, int Code)[] Expected)[] table =
        [
            ("GET", "v1/user", null, [(401, 24), (200, 0), (200, 0), (200, 0)]),
            ("GET", "v1/users", null, [(401, 24), (200, 0), (200, 0), (200, 0)]),
            ("GET", "v1/users?page_size=0", null, [(401, 24), (400, 25), (400, 25), (400, 25)]),
            ("GET", $"v1/users/{Nobody}", null, [(401, 24), (404, 4), (404, 4), (404, 4)]),
            ("POST", $"v1/users/{Nobody}/lock", new { locked = true }, [(401, 24), (403, 22), (403, 22), (404, 4)]),
            ("POST", "v1/users", new { username = "contract-made", user_role = "wizard" }, [(401, 24), (403, 22), (403, 22), (400, 112)]),
            ("POST", "v1/users", new { username = "no/slashes" }, [(401, 24), (403, 22), (403, 22), (400, 7)]),
            ("POST", "v1/users", new { username = "contract-viewer" }, [(401, 24), (403, 22), (403, 22), (409, 8)]),
            ("POST", "v1/users", new { username = "contract-weak", password = "short" }, [(401, 24), (403, 22), (403, 22), (400, 6)]),
            ("PATCH", $"v1/users/{Nobody}", new { user_role = "viewer" }, [(401, 24), (403, 22), (403, 22), (404, 4)]),
            ("GET", "v1/content", null, [(401, 24), (200, 0), (200, 0), (200, 0)]),
            ("GET", "v1/content?include=colour", null, [(401, 24), (400, 25), (400, 25), (400, 25)]),
            ("POST", "v1/content", new { name = "x" }, [(401, 24), (403, 22), (400, 5), (400, 5)]),
            ("GET", $"v1/content/{hidden}", null, [(401, 24), (404, 4), (404, 4), (200, 0)]),
            ("GET", $"v1/content/{hidden}/environment", null, [(401, 24), (404, 4), (404, 4), (200, 0)]),
            ("PATCH", $"v1/content/{hidden}", new { min_processes = "many" }, [(401, 24), (400, 121), (400, 121), (400, 121)]),
            ("GET", $"v1/groups/{Nobody}", null, [(401, 24), (404, 4), (404, 4), (404, 4)]),
            ("DELETE", $"v1/groups/{Nobody}", null, [(401, 24), (404, 4), (404, 4), (404, 4)]),
            ("POST", $"v1/groups/{Nobody}/members", new { user_guid = Nobody }, [(401, 24), (404, 4), (404, 4), (404, 4)]),
            ("POST", $"v1/groups/{adminsGroup}/members", new { user_guid = Nobody }, [(401, 24), (403, 22), (403, 22), (400, 25)]),
            ("DELETE", $"v1/groups/{adminsGroup}/members/{Nobody}", null, [(401, 24), (403, 22), (403, 22), (404, 4)]),
            ("GET", "v1/groups?page_size=501", null, [(401, 24), (400, 25), (400, 25), (400, 25)]),
            ("GET", $"v1/content/{hidden}/bundles/987654", null, [(401, 24), (404, 4), (404, 4), (404, 4)]),
            ("GET", $"v1/content/{hidden}/jobs/no-such-key", null, [(401, 24), (404, 4), (404, 4), (404, 4)]),
            ("PUT", $"v1/content/{hidden}/vanity", new { path = "/contract/" }, [(401, 24), (403, 22), (403, 22), (200, 0)]),
            ("POST", "v1/tags", new { name = "" }, [(401, 24), (403, 22), (403, 22), (400, 78)]),
            ("GET", "v1/server/nodes", null, [(401, 24), (403, 22), (403, 22), (200, 0)]),
            ("GET", "v1/no/such/thing", null, [(404, 2), (404, 2), (404, 2), (404, 2)]),
            ("DELETE", "v1/user", null, [(404, 2), (404, 2), (404, 2), (404, 2)]),
        ];

        var failures = new List<string>();
        foreach (var (method, path, body, expected) in table)
        {
            foreach (var ((role, client), (status, code)) in clients.Zip(expected))
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), "__api__/" + path);
                if (body is not null)
                {
                    request.Content = JsonContent.Create(body);
                }

                using var response = await client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                var problem = Check(response.StatusCode, text, status, code);
                if (problem is not null)
                {
                    failures.Add($"{method} {path} as {role}: {problem}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + server.Node.Output);
    }

    /// <summary>What is wrong with one answer, or null.</summary>
    private static string? Check(HttpStatusCode actual, string text, int status, int code)
    {
        if ((int)actual != status)
        {
            return $"status {(int)actual}, expected {status}: {text}";
        }

        if (code == 0)
        {
            return null;
        }

        JsonElement json;
        try
        {
            json = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
            return $"not JSON: {text}";
        }

        return json.ValueKind != JsonValueKind.Object ? $"not an object: {text}"
            : !json.TryGetProperty("code", out var c) || c.ValueKind != JsonValueKind.Number || c.GetInt32() != code ? $"code is not {code}: {text}"
            : !json.TryGetProperty("error", out var e) || e.ValueKind != JsonValueKind.String || e.GetString()!.Length == 0 ? $"no error text: {text}"
            : !json.TryGetProperty("payload", out var p) || p.ValueKind != JsonValueKind.Null ? $"payload is not null: {text}"
            : null;
    }

    [Fact]
    public async Task Content_carries_the_references_fields_with_their_types_and_lists_filter_and_include_the_owner()
    {
        using var publisher = await server.UserAsync("fields-publisher", "publisher");
        var me = await JsonAsync(await publisher.GetAsync("__api__/v1/user"));
        var created = await publisher.PostAsJsonAsync("__api__/v1/content", new { name = "fields-item", title = "Fields" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await server.CreateApplicationAsync(server.Admin, "fields-other");

        var item = await JsonAsync(await publisher.GetAsync($"__api__/v1/content/{(await JsonAsync(created)).GetProperty("guid").GetString()}"));

        var kinds = new Dictionary<string, JsonValueKind[]>
        {
            ["guid"] = [JsonValueKind.String], ["name"] = [JsonValueKind.String], ["title"] = [JsonValueKind.String, JsonValueKind.Null],
            ["description"] = [JsonValueKind.String, JsonValueKind.Null], ["access_type"] = [JsonValueKind.String],
            ["connection_timeout"] = [JsonValueKind.Number, JsonValueKind.Null], ["read_timeout"] = [JsonValueKind.Number, JsonValueKind.Null],
            ["init_timeout"] = [JsonValueKind.Number, JsonValueKind.Null], ["idle_timeout"] = [JsonValueKind.Number, JsonValueKind.Null],
            ["max_processes"] = [JsonValueKind.Number, JsonValueKind.Null], ["min_processes"] = [JsonValueKind.Number, JsonValueKind.Null],
            ["max_conns_per_process"] = [JsonValueKind.Number, JsonValueKind.Null], ["load_factor"] = [JsonValueKind.Number, JsonValueKind.Null],
            ["created_time"] = [JsonValueKind.String], ["last_deployed_time"] = [JsonValueKind.String],
            ["bundle_id"] = [JsonValueKind.String, JsonValueKind.Null], ["app_mode"] = [JsonValueKind.String, JsonValueKind.Null],
            ["content_category"] = [JsonValueKind.String], ["parameterized"] = [JsonValueKind.False, JsonValueKind.True],
            ["r_version"] = [JsonValueKind.String, JsonValueKind.Null], ["run_as"] = [JsonValueKind.String, JsonValueKind.Null],
            ["run_as_current_user"] = [JsonValueKind.False, JsonValueKind.True], ["owner_guid"] = [JsonValueKind.String],
            ["content_url"] = [JsonValueKind.String], ["app_role"] = [JsonValueKind.String], ["id"] = [JsonValueKind.Number],
            ["dashboard_url"] = [JsonValueKind.String], ["locked"] = [JsonValueKind.False], ["locked_message"] = [JsonValueKind.String],
        };
        foreach (var (field, allowed) in kinds)
        {
            Assert.True(item.TryGetProperty(field, out var value) && allowed.Contains(value.ValueKind), $"{field}: {item}");
        }

        // RFC 3339 times, the owner by GUID, and the caller's relation to the item.
        Assert.True(DateTimeOffset.TryParseExact(item.GetProperty("created_time").GetString(), "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", null,
            System.Globalization.DateTimeStyles.None, out _), item.GetProperty("created_time").GetString());
        Assert.Equal(me.GetProperty("guid").GetString(), item.GetProperty("owner_guid").GetString());
        Assert.Equal("owner", item.GetProperty("app_role").GetString());
        Assert.False(item.TryGetProperty("owner", out _));

        var mine = await JsonAsync(await server.Admin.GetAsync($"__api__/v1/content?owner_guid={me.GetProperty("guid").GetString()}&include=owner,tags"));
        var only = Assert.Single(mine.EnumerateArray());
        Assert.Equal("fields-item", only.GetProperty("name").GetString());
        Assert.Equal("fields-publisher", only.GetProperty("owner").GetProperty("username").GetString());
        Assert.Equal(me.GetProperty("guid").GetString(), only.GetProperty("owner").GetProperty("guid").GetString());
        Assert.Equal(0, only.GetProperty("tags").GetArrayLength());
        Assert.Equal("none", only.GetProperty("app_role").GetString()); // the administrator manages it, but is not on it

        var byName = await JsonAsync(await server.Admin.GetAsync("__api__/v1/content?name=fields-other"));
        Assert.Equal("fields-other", Assert.Single(byName.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task An_administrator_adds_a_user_and_changes_their_role_and_email_but_not_their_own_role()
    {
        var created = await server.Admin.PostAsJsonAsync("__api__/v1/users",
            new { username = "made-by-api", email = "made@example.com", user_role = "publisher", password = "long enough secret" });
        var user = await JsonAsync(created);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("publisher", user.GetProperty("user_role").GetString());
        Assert.Equal("made@example.com", user.GetProperty("email").GetString());

        var guid = user.GetProperty("guid").GetString();
        var changed = await JsonAsync(await server.Admin.PatchAsJsonAsync($"__api__/v1/users/{guid}", new { user_role = "viewer", email = "new@example.com" }));
        Assert.Equal("viewer", changed.GetProperty("user_role").GetString());
        Assert.Equal("new@example.com", changed.GetProperty("email").GetString());
        Assert.Equal("viewer", (await JsonAsync(await server.Admin.GetAsync($"__api__/v1/users/{guid}"))).GetProperty("user_role").GetString());

        // The administrator cannot demote themself (they may be the last one).
        var me = (await JsonAsync(await server.Admin.GetAsync("__api__/v1/user"))).GetProperty("guid").GetString();
        var demote = await server.Admin.PatchAsJsonAsync($"__api__/v1/users/{me}", new { user_role = "viewer" });
        Assert.Equal(HttpStatusCode.BadRequest, demote.StatusCode);
        Assert.Equal(61, (await JsonAsync(demote)).GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task An_old_bundle_is_got_and_deleted_with_its_files_while_the_live_one_stays()
    {
        var admin = server.Admin;
        var (id, guid) = await server.CreateApplicationAsync(admin, "bundles-item");
        await server.DeployAsync(admin, id, Connect.Testing.TestBundles.StaticSite("version one"));
        await server.DeployAsync(admin, id, Connect.Testing.TestBundles.StaticSite("version two"));
        var listed = (await JsonAsync(await admin.GetAsync($"__api__/v1/content/{guid}/bundles"))).EnumerateArray().ToList();
        var old = listed.Single(b => !b.GetProperty("active").GetBoolean()).GetProperty("id").GetString();
        var live = listed.Single(b => b.GetProperty("active").GetBoolean()).GetProperty("id").GetString();
        var archive = Path.Combine(server.Node.DataDir, "bundles", id.ToString(), $"{old}.tar.gz");
        var folder = Path.Combine(server.Node.DataDir, "apps", id.ToString(), old!);
        Assert.True(File.Exists(archive) && Directory.Exists(folder));

        Assert.Equal(old, (await JsonAsync(await admin.GetAsync($"__api__/v1/content/{guid}/bundles/{old}"))).GetProperty("id").GetString());
        var deleteLive = await admin.DeleteAsync($"__api__/v1/content/{guid}/bundles/{live}");
        Assert.Equal(75, (await JsonAsync(deleteLive)).GetProperty("code").GetInt32());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"__api__/v1/content/{guid}/bundles/{old}")).StatusCode);

        Assert.False(File.Exists(archive) || Directory.Exists(folder), "the old bundle's files are still there");
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"__api__/v1/content/{guid}/bundles/{old}")).StatusCode);
        Assert.Contains("version two", await admin.GetStringAsync($"content/{guid}/"));
    }

    [Fact]
    public async Task An_items_r_packages_are_those_its_live_bundles_manifest_declares_with_their_versions()
    {
        var admin = server.Admin;
        var (id, guid) = await server.CreateApplicationAsync(admin, "packaged-site");
        const string manifest = """
            {"version": 1, "metadata": {"appmode": "static", "primary_html": "index.html"},
             "packages": {"shiny": {"Source": "CRAN", "description": {"Package": "shiny", "Version": "1.7.4"}}, "jsonlite": {"Source": "CRAN"}}}
            """;
        await server.DeployAsync(admin, id, Connect.Testing.TestBundles.Create(("manifest.json", manifest), ("index.html", "<p>x</p>")));

        var packages = (await JsonAsync(await admin.GetAsync($"__api__/v1/content/{guid}/packages"))).EnumerateArray().ToList();
        var all = await JsonAsync(await admin.GetAsync("__api__/v1/packages?name=shiny"));

        Assert.Equal(["jsonlite", "shiny"], packages.Select(p => p.GetProperty("name").GetString()));
        Assert.Equal("1.7.4", packages[1].GetProperty("version").GetString());
        Assert.Equal(JsonValueKind.Null, packages[0].GetProperty("version").ValueKind);
        Assert.All(packages, p => Assert.Equal("r", p.GetProperty("language").GetString()));
        var shiny = Assert.Single(all.GetProperty("results").EnumerateArray(), p => p.GetProperty("app_guid").GetString() == guid);
        Assert.Equal(id.ToString(), shiny.GetProperty("app_id").GetString());
        Assert.Equal(1, all.GetProperty("current_page").GetInt32());

        // The legacy numeric id finds a user too.
        var me = await JsonAsync(await admin.GetAsync("__api__/v1/user"));
        var byId = await JsonAsync(await admin.GetAsync($"__api__/v1/users/{me.GetProperty("id").GetInt64()}"));
        Assert.Equal(me.GetProperty("guid").GetString(), byId.GetProperty("guid").GetString());
    }

    [Fact]
    public async Task Users_page_with_the_references_envelope_and_fields()
    {
        foreach (var name in new[] { "page-a", "page-b", "page-c" })
        {
            (await server.UserAsync(name, "viewer")).Dispose();
        }

        var first = await JsonAsync(await server.Admin.GetAsync("__api__/v1/users?page_size=2&page_number=1"));
        var second = await JsonAsync(await server.Admin.GetAsync("__api__/v1/users?page_size=2&page_number=2"));

        var total = first.GetProperty("total").GetInt32();
        Assert.True(total >= 4, first.ToString());
        Assert.Equal(1, first.GetProperty("current_page").GetInt32());
        Assert.Equal(2, first.GetProperty("results").GetArrayLength());
        Assert.Equal(2, second.GetProperty("current_page").GetInt32());
        var seen = first.GetProperty("results").EnumerateArray().Concat(second.GetProperty("results").EnumerateArray())
            .Select(u => u.GetProperty("guid").GetString()).ToList();
        Assert.Equal(seen.Count, seen.Distinct().Count());

        var user = first.GetProperty("results")[0];
        foreach (var field in new[] { "guid", "username", "email", "first_name", "last_name", "user_role", "created_time", "updated_time", "active_time", "confirmed", "locked" })
        {
            Assert.True(user.TryGetProperty(field, out _), $"{field}: {user}");
        }

        var byGuid = await JsonAsync(await server.Admin.GetAsync($"__api__/v1/users/{user.GetProperty("guid").GetString()}"));
        Assert.Equal(user.GetProperty("username").GetString(), byGuid.GetProperty("username").GetString());
    }

    [Fact]
    public async Task Users_are_found_by_prefix_role_and_account_status_as_the_reference_filters_them()
    {
        (await server.UserAsync("prefixed-pub", "publisher")).Dispose();
        (await server.UserAsync("prefixed-view", "viewer")).Dispose();

        static async Task<List<string>> NamesAsync(HttpResponseMessage response) =>
            (await JsonAsync(response)).GetProperty("results").EnumerateArray().Select(u => u.GetProperty("username").GetString()!).Order().ToList();

        Assert.Equal(["prefixed-pub", "prefixed-view"], await NamesAsync(await server.Admin.GetAsync("__api__/v1/users?prefix=PREFIXED")));
        Assert.Equal(["prefixed-pub"], await NamesAsync(await server.Admin.GetAsync("__api__/v1/users?prefix=prefixed&user_role=publisher%7Cadministrator")));
        Assert.Empty(await NamesAsync(await server.Admin.GetAsync("__api__/v1/users?prefix=prefixed&account_status=locked")));
        Assert.Equal(HttpStatusCode.BadRequest, (await server.Admin.GetAsync("__api__/v1/users?user_role=emperor")).StatusCode);
    }

    [Fact]
    public async Task Groups_are_found_by_prefix_and_a_permission_is_read_by_id_as_posit_sdk_adds_and_removes_them()
    {
        foreach (var name in new[] { "sdk-team-a", "sdk-team-b", "other-team" })
        {
            Assert.Equal(HttpStatusCode.Created, (await server.Admin.PostAsJsonAsync("__api__/v1/groups", new { name })).StatusCode);
        }

        var found = (await JsonAsync(await server.Admin.GetAsync("__api__/v1/groups?prefix=SDK-team"))).GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["sdk-team-a", "sdk-team-b"], found.Select(g => g.GetProperty("name").GetString()).Order());

        // Shared with each group the prefix found: exactly those, each readable by its id, then removed one by one.
        var (_, guid) = await server.CreateApplicationAsync(server.Admin, "sdk-permissions");
        foreach (var group in found)
        {
            Assert.Equal(HttpStatusCode.Created, (await server.Admin.PostAsJsonAsync($"__api__/v1/content/{guid}/permissions",
                new { principal_guid = group.GetProperty("guid").GetString(), principal_type = "group", role = "viewer" })).StatusCode);
        }

        var permissions = (await JsonAsync(await server.Admin.GetAsync($"__api__/v1/content/{guid}/permissions"))).EnumerateArray().ToList();
        Assert.Equal(2, permissions.Count);
        foreach (var permission in permissions)
        {
            var id = permission.GetProperty("id").GetString();
            var one = await JsonAsync(await server.Admin.GetAsync($"__api__/v1/content/{guid}/permissions/{id}"));
            Assert.Equal(permission.GetProperty("principal_guid").GetString(), one.GetProperty("principal_guid").GetString());
            Assert.Equal(HttpStatusCode.NoContent, (await server.Admin.DeleteAsync($"__api__/v1/content/{guid}/permissions/{id}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await server.Admin.GetAsync($"__api__/v1/content/{guid}/permissions/{id}")).StatusCode);
        }

        Assert.Empty((await JsonAsync(await server.Admin.GetAsync($"__api__/v1/content/{guid}/permissions"))).EnumerateArray());
    }
}

/// <summary>Every contract test above, against a node on PostgreSQL.</summary>
public sealed class ServerApiContractOnPostgresTests(PostgresPublishingNode server) : ServerApiContractTests(server), IClassFixture<PostgresPublishingNode>;
