using Connect.Runtime.Proxy;

namespace Connect.Runtime.Tests.Proxy;

public sealed class WorkerTransformerTests
{
    private const string Prefix = "/content/abc";

    [Theory]
    [InlineData("/login", "/content/abc/login")]
    [InlineData("/", "/content/abc/")]
    [InlineData("http://127.0.0.1:4567/next?x=1", "/content/abc/next?x=1")]
    [InlineData("http://127.0.0.1:9999/other-port", "http://127.0.0.1:9999/other-port")]
    [InlineData("https://example.com/away", "https://example.com/away")]
    [InlineData("//example.com/protocol-relative", "//example.com/protocol-relative")]
    [InlineData("relative/path", "relative/path")]
    public void Worker_redirects_are_mapped_under_the_content_path(string location, string expected) =>
        Assert.Equal(expected, WorkerTransformer.RewriteLocation(location, Prefix, 4567));

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
