using System.Net;
using System.Net.Http.Json;
using Connect.Runtime.Content;
using Connect.Runtime.Tests.Publishing;
using Connect.Testing;
using static Connect.Runtime.Tests.Publishing.PublishingNode;

namespace Connect.Runtime.Tests.Content;

/// <summary>
/// Files answered before the rest of the pipeline (<see cref="StaticFastPath"/>) must get exactly the answers the whole way
/// gives: who may see what, the refusals, the headers, and a revoked key or a withdrawn grant still refused.
/// </summary>
public sealed class StaticFastPathTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    private HttpClient Admin => server.Admin;

    [Theory]
    [InlineData("/content/0b7c/index.html", "0b7c", "index.html")]
    [InlineData("/content/0b7c/", "0b7c", "")]
    [InlineData("/content/0b7c/a/b.css", "0b7c", "a/b.css")]
    public void A_content_path_splits_into_its_guid_and_file(string path, string guid, string relative) =>
        Assert.Equal((guid, relative), StaticFastPath.Split(path));

    [Theory]
    [InlineData("/content/0b7c")] // the bare form is redirected the whole way
    [InlineData("/content/")]
    [InlineData("/content//x")]
    [InlineData("/__api__/v1/content")]
    [InlineData(null)]
    public void Any_other_path_is_not_split(string? path) => Assert.Null(StaticFastPath.Split(path));

    [Fact]
    public async Task Public_files_are_sent_to_anyone_with_their_headers_and_private_parts_stay_refused()
    {
        var guid = await server.Node.DeployAsync("fast-public", TestBundles.Create(
            ("manifest.json", TestBundles.Manifest("static", "index.html")), ("index.html", "public page"), (".Renviron", "SECRET=1")));

        var page = await server.Node.Http.GetAsync($"content/{guid}/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("public page", await page.Content.ReadAsStringAsync());
        Assert.True(page.Headers.CacheControl is { NoCache: true, Private: false }, $"Cache-Control: {page.Headers.CacheControl}");
        Assert.NotNull(page.Headers.ETag);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        using var head = new HttpRequestMessage(HttpMethod.Head, $"content/{guid}/index.html");
        var headed = await server.Node.Http.SendAsync(head);
        Assert.Equal(HttpStatusCode.OK, headed.StatusCode);
        Assert.Equal("public page".Length, headed.Content.Headers.ContentLength);
        Assert.Empty(await headed.Content.ReadAsByteArrayAsync());

        foreach (var hidden in (string[])[".Renviron", "manifest.json", "missing.html"])
        {
            var refused = await server.Node.Http.GetAsync($"content/{guid}/{hidden}");
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.DoesNotContain("SECRET", await refused.Content.ReadAsStringAsync());
        }

    }

    [Fact]
    public async Task A_private_file_is_sent_to_a_key_on_its_list_only_and_a_revoked_key_or_withdrawn_grant_is_refused()
    {
        var guid = await server.Node.DeployAsync("fast-private", TestBundles.StaticSite("private page"), accessType: "acl");
        using var viewer = await server.UserAsync("fastviewer", "viewer");
        var viewerGuid = (await JsonAsync(await viewer.GetAsync("__api__/v1/user"))).GetProperty("guid").GetString();

        Assert.Contains("private page", await Admin.GetStringAsync($"content/{guid}/")); // an administrator may see everything

        // Not on the list: the same "not found" as the whole way gives, not the file.
        var notListed = await viewer.GetAsync($"content/{guid}/");
        Assert.Equal(HttpStatusCode.NotFound, notListed.StatusCode);
        Assert.DoesNotContain("private page", await notListed.Content.ReadAsStringAsync());

        using var unknown = server.Node.ClientWithKey("not-a-key-of-this-server");
        var unknownKey = await unknown.GetAsync($"content/{guid}/");
        Assert.Equal(HttpStatusCode.Unauthorized, unknownKey.StatusCode);
        Assert.Equal(24, (await JsonAsync(unknownKey)).GetProperty("code").GetInt32());

        var anonymous = await server.Node.Http.GetAsync($"content/{guid}/");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        // Granted: seen once the node's one-second memory of roles has passed.
        var granted = await Admin.PostAsJsonAsync($"__api__/v1/content/{guid}/permissions", new { principal_guid = viewerGuid, principal_type = "user", role = "viewer" });
        Assert.True(granted.IsSuccessStatusCode, await granted.Content.ReadAsStringAsync());
        await Wait.UntilAsync(async () => (await viewer.GetAsync($"content/{guid}/")).StatusCode == HttpStatusCode.OK, "the grant reaches the file");
        Assert.Contains("private page", await viewer.GetStringAsync($"content/{guid}/"));

        // Withdrawn: refused again.
        var permissions = await JsonAsync(await Admin.GetAsync($"__api__/v1/content/{guid}/permissions"));
        var permissionId = permissions.EnumerateArray().Single(p => p.GetProperty("principal_guid").GetString() == viewerGuid).GetProperty("id").GetString();
        Assert.True((await Admin.DeleteAsync($"__api__/v1/content/{guid}/permissions/{permissionId}")).IsSuccessStatusCode);
        await Wait.UntilAsync(async () => (await viewer.GetAsync($"content/{guid}/")).StatusCode == HttpStatusCode.NotFound, "the withdrawn grant refuses the file");

        // Granted again, then the key is revoked: refused with the key's own error.
        Assert.True((await Admin.PostAsJsonAsync($"__api__/v1/content/{guid}/permissions", new { principal_guid = viewerGuid, principal_type = "user", role = "viewer" })).IsSuccessStatusCode);
        await Wait.UntilAsync(async () => (await viewer.GetAsync($"content/{guid}/")).StatusCode == HttpStatusCode.OK, "the second grant reaches the file");
        var (_, keys) = await server.Node.RunCommandAsync("keys", "list", "--user", "fastviewer");
        var keyId = keys.Split('\n').First(l => l.Contains("active")).Split('\t')[0];
        var (revoked, output) = await server.Node.RunCommandAsync("keys", "revoke", keyId);
        Assert.True(revoked == 0, output);
        await Wait.UntilAsync(async () => (await viewer.GetAsync($"content/{guid}/")).StatusCode == HttpStatusCode.Unauthorized, "the revoked key is refused");
    }

    [Fact]
    public async Task A_text_file_goes_compressed_to_a_client_that_accepts_it_as_its_own_representation()
    {
        var text = string.Concat(Enumerable.Repeat("<p>compress me, I repeat myself</p>\n", 200));
        var guid = await server.Node.DeployAsync("fast-compressed", TestBundles.Create(
            ("manifest.json", TestBundles.Manifest("static", "index.html")), ("index.html", text)));

        async Task<HttpResponseMessage> GetAsync(string? acceptEncoding, Action<HttpRequestMessage>? more = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"content/{guid}/");
            if (acceptEncoding is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
            }

            more?.Invoke(request);
            return await server.Node.Http.SendAsync(request);
        }

        var brotli = await GetAsync("gzip, deflate, br");
        Assert.Equal(["br"], brotli.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", brotli.Headers.Vary);
        var brotliBytes = await brotli.Content.ReadAsByteArrayAsync();
        Assert.True(brotliBytes.Length < text.Length / 4, $"{brotliBytes.Length} bytes");
        Assert.Equal(text, new StreamReader(new System.IO.Compression.BrotliStream(new MemoryStream(brotliBytes), System.IO.Compression.CompressionMode.Decompress)).ReadToEnd());

        var gzip = await GetAsync("gzip");
        Assert.Equal(["gzip"], gzip.Content.Headers.ContentEncoding);
        Assert.Equal(text, new StreamReader(new System.IO.Compression.GZipStream(await gzip.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress)).ReadToEnd());

        var plain = await GetAsync(null);
        Assert.Empty(plain.Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", plain.Headers.Vary);
        Assert.Equal(text, await plain.Content.ReadAsStringAsync());

        var refused = await GetAsync("br;q=0, gzip;q=0");
        Assert.Empty(refused.Content.Headers.ContentEncoding);

        // Each form has its own tag: a cached Brotli copy is confirmed as Brotli, never as the plain bytes.
        Assert.NotEqual(plain.Headers.ETag, brotli.Headers.ETag);
        var confirmed = await GetAsync("br", r => r.Headers.IfNoneMatch.Add(brotli.Headers.ETag!));
        Assert.Equal(HttpStatusCode.NotModified, confirmed.StatusCode);
        var otherForm = await GetAsync(null, r => r.Headers.IfNoneMatch.Add(brotli.Headers.ETag!));
        Assert.Equal(HttpStatusCode.OK, otherForm.StatusCode);

        // A range is of the plain bytes, whatever the client accepts.
        var part = await GetAsync("br", r => r.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, 9));
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Empty(part.Content.Headers.ContentEncoding);
        Assert.Equal(text[..10], await part.Content.ReadAsStringAsync());
    }
}
