using System.Net;
using System.Net.Http.Json;
using Connect.Testing;
using static Connect.Runtime.Tests.Publishing.PublishingNode;

namespace Connect.Runtime.Tests.Publishing;

/// <summary>Vanity paths routed to content, and the tag tree, through the v1 API of a real node.</summary>
public sealed class VanityAndTagsApiTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    private HttpClient Admin => server.Admin;

    [Fact]
    public async Task A_vanity_path_serves_its_content_with_the_same_access_rules_until_it_is_removed()
    {
        var (id, guid) = await server.CreateApplicationAsync(Admin, "vanity-site");
        await server.DeployAsync(Admin, id, TestBundles.StaticSite("served under a vanity path"));
        using var publisher = await server.UserAsync("vanity-publisher", "publisher");

        var byPublisher = await publisher.PutAsJsonAsync($"__api__/v1/content/{guid}/vanity", new { path = "/sales/q3/" });
        // Only administrators name paths (refused before the item is even looked up, so nothing is given away).
        Assert.Equal(HttpStatusCode.Forbidden, byPublisher.StatusCode);
        Assert.Equal(22, (await JsonAsync(byPublisher)).GetProperty("code").GetInt32());
        var set = await Admin.PutAsJsonAsync($"__api__/v1/content/{guid}/vanity", new { path = "/Sales/Q3" });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal("/sales/q3/", (await JsonAsync(set)).GetProperty("path").GetString());

        Assert.Contains("served under a vanity path", await Admin.GetStringAsync("sales/q3/"));
        Assert.Contains("served under a vanity path", await Admin.GetStringAsync("SALES/Q3/index.html"));
        using var noRedirects = server.Node.ClientWithKey(server.Node.AdminKey, allowRedirects: false);
        var bare = await noRedirects.GetAsync("sales/q3?x=1");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/sales/q3/?x=1", bare.Headers.Location?.OriginalString);

        // The item is acl: through its vanity path as through its GUID, a stranger is asked to sign in.
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Node.Http.GetAsync("sales/q3/")).StatusCode);

        var listed = await JsonAsync(await Admin.GetAsync("__api__/v1/vanities"));
        Assert.Contains(listed.EnumerateArray(), v => v.GetProperty("content_guid").GetString() == guid && v.GetProperty("path").GetString() == "/sales/q3/");
        var withVanity = (await JsonAsync(await Admin.GetAsync("__api__/v1/content?include=vanity_url,owner"))).EnumerateArray().Single(c => c.GetProperty("guid").GetString() == guid);
        Assert.EndsWith("/sales/q3/", withVanity.GetProperty("vanity_url").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"__api__/v1/content/{guid}/vanity")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.GetAsync("sales/q3/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.GetAsync($"__api__/v1/content/{guid}/vanity")).StatusCode);
    }

    [Fact]
    public async Task A_vanity_path_in_the_way_of_another_or_of_the_server_is_refused_with_the_references_codes()
    {
        var (_, first) = await server.CreateApplicationAsync(Admin, "vanity-first");
        var (_, second) = await server.CreateApplicationAsync(Admin, "vanity-second");
        (await Admin.PutAsJsonAsync($"__api__/v1/content/{first}/vanity", new { path = "/team/board/" })).EnsureSuccessStatusCode();

        var nested = await Admin.PutAsJsonAsync($"__api__/v1/content/{second}/vanity", new { path = "/team/" });
        var reserved = await Admin.PutAsJsonAsync($"__api__/v1/content/{second}/vanity", new { path = "/__api__/v1/" });

        Assert.Equal(HttpStatusCode.Conflict, nested.StatusCode);
        Assert.Equal(51, (await JsonAsync(nested)).GetProperty("code").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, reserved.StatusCode);
        Assert.Equal(52, (await JsonAsync(reserved)).GetProperty("code").GetInt32());
        // The API itself is untouched.
        Assert.Equal(HttpStatusCode.OK, (await Admin.GetAsync("__api__/v1/user")).StatusCode);

        // The same path again: refused, unless forced, which moves it from the first item to the second.
        Assert.Equal(HttpStatusCode.Conflict, (await Admin.PutAsJsonAsync($"__api__/v1/content/{second}/vanity", new { path = "/team/board/" })).StatusCode);
        var forced = await Admin.PutAsJsonAsync($"__api__/v1/content/{second}/vanity", new { path = "/team/board/", force = true });
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.Equal(second, (await JsonAsync(forced)).GetProperty("content_guid").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Admin.GetAsync($"__api__/v1/content/{first}/vanity")).StatusCode);
    }

    [Fact]
    public async Task Tags_are_made_by_administrators_given_to_content_and_listed_with_it()
    {
        using var publisher = await server.UserAsync("tag-publisher", "publisher");
        var created = await publisher.PostAsJsonAsync("__api__/v1/content", new { name = "tagged-item" });
        var guid = (await JsonAsync(created)).GetProperty("guid").GetString();

        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsJsonAsync("__api__/v1/tags", new { name = "Mine" })).StatusCode);
        var category = await JsonAsync(await Admin.PostAsJsonAsync("__api__/v1/tags", new { name = "Department" }));
        var finance = await Admin.PostAsJsonAsync("__api__/v1/tags", new { name = "Finance", parent_id = category.GetProperty("id").GetString() });
        Assert.Equal(HttpStatusCode.Created, finance.StatusCode);
        var financeId = (await JsonAsync(finance)).GetProperty("id").GetString();
        var twin = await Admin.PostAsJsonAsync("__api__/v1/tags", new { name = "Finance", parent_id = category.GetProperty("id").GetString() });
        Assert.Equal(81, (await JsonAsync(twin)).GetProperty("code").GetInt32());
        Assert.Equal(78, (await JsonAsync(await Admin.PostAsJsonAsync("__api__/v1/tags", new { name = " " }))).GetProperty("code").GetInt32());

        // The owner tags their own item.
        Assert.Equal(HttpStatusCode.Created, (await publisher.PostAsJsonAsync($"__api__/v1/content/{guid}/tags", new { tag_id = financeId })).StatusCode);
        var ofItem = await JsonAsync(await publisher.GetAsync($"__api__/v1/content/{guid}/tags"));
        Assert.Equal("Finance", Assert.Single(ofItem.EnumerateArray()).GetProperty("name").GetString());
        var listed = await JsonAsync(await publisher.GetAsync("__api__/v1/content?name=tagged-item&include=tags"));
        Assert.Equal(financeId, Assert.Single(Assert.Single(listed.EnumerateArray()).GetProperty("tags").EnumerateArray()).GetProperty("id").GetString());

        // Tags found by name and by parent (empty: the top of the tree); the items of a tag, as the caller may see them.
        var departmentId = category.GetProperty("id").GetString();
        Assert.Equal([financeId], (await JsonAsync(await publisher.GetAsync($"__api__/v1/tags?parent_id={departmentId}"))).EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.Contains(departmentId, (await JsonAsync(await publisher.GetAsync("__api__/v1/tags?parent_id="))).EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.DoesNotContain(financeId, (await JsonAsync(await publisher.GetAsync("__api__/v1/tags?parent_id="))).EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.Equal([departmentId], (await JsonAsync(await publisher.GetAsync("__api__/v1/tags?name=Department"))).EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        Assert.Equal([guid], (await JsonAsync(await publisher.GetAsync($"__api__/v1/tags/{financeId}/content"))).EnumerateArray().Select(c => c.GetProperty("guid").GetString()));
        using var viewer = await server.UserAsync("tag-viewer", "viewer");
        Assert.Empty((await JsonAsync(await viewer.GetAsync($"__api__/v1/tags/{financeId}/content"))).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await publisher.GetAsync("__api__/v1/tags/999999/content")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await publisher.DeleteAsync($"__api__/v1/content/{guid}/tags/{financeId}")).StatusCode);
        Assert.Empty((await JsonAsync(await publisher.GetAsync($"__api__/v1/content/{guid}/tags"))).EnumerateArray());
    }
}
