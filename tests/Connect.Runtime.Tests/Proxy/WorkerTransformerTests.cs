using Microsoft.AspNetCore.Http;
using Connect.Runtime.Proxy;

namespace Connect.Runtime.Tests.Proxy;

public sealed class WorkerTransformerTests
{
    private const string Prefix = "/content/abc";

    [Theory]
    [InlineData("/login", "/content/abc/login")]
    [InlineData("/", "/content/abc/")]
    [InlineData("http://wabc123/next?x=1", "/content/abc/next?x=1")]
    [InlineData("http://wother/other-worker", "http://wother/other-worker")]
    [InlineData("http://127.0.0.1:9999/loopback", "http://127.0.0.1:9999/loopback")]
    [InlineData("https://example.com/away", "https://example.com/away")]
    [InlineData("//example.com/protocol-relative", "//example.com/protocol-relative")]
    [InlineData("relative/path", "relative/path")]
    public void Worker_redirects_are_mapped_under_the_content_path(string location, string expected) =>
        Assert.Equal(expected, WorkerTransformer.RewriteLocation(location, Prefix, new WorkerEndpoint("abc123", "/run/x/http.sock", 1800000007)));

    [Fact]
    public void A_worker_cannot_claim_the_origin_or_set_the_nodes_cookies_but_the_node_keeps_its_own()
    {
        var nodesOwn = "connect_worker=w1; path=/content/abc/; httponly";
        IHeaderDictionary headers = new HeaderDictionary
        {
            ["Service-Worker-Allowed"] = "/",
            ["Set-Cookie"] = new[] { nodesOwn, "connect_session=forged; path=/", " connect_sessionC1=x", "CONNECT_NODE=127.0.0.1:1", "connect_antiforgery=x", "app=dark; path=/" },
        };

        WorkerTransformer.StripOriginClaims(headers, [nodesOwn]);

        Assert.False(headers.ContainsKey("Service-Worker-Allowed"));
        Assert.Equal(new[] { nodesOwn, "app=dark; path=/" }, headers.SetCookie.Select(c => c!).ToArray());
    }

    [Fact]
    public void The_reconnect_script_goes_first_in_the_head_of_a_shiny_page()
    {
        var page = System.Text.Encoding.UTF8.GetBytes("<html><head><script src=\"shiny.min.js\"></script></head><body></body></html>");

        var injected = System.Text.Encoding.UTF8.GetString(ShinyReconnect.Inject(page));

        Assert.StartsWith("<html><head><script>(function(){window.Shiny", injected);
        Assert.True(injected.IndexOf("allowReconnect=true", StringComparison.Ordinal) < injected.IndexOf("shiny.min.js", StringComparison.Ordinal));
        Assert.Equal("<p>no head</p>", System.Text.Encoding.UTF8.GetString(ShinyReconnect.Inject("<p>no head</p>"u8.ToArray())));
    }
}
