using System.Net;
using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Runtime;

/// <summary>A Plumber API's own documentation (its OpenAPI page), served below the item's URL as the product does.</summary>
public sealed class PlumberDocsTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-plumber-docs");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_plumber_api_serves_its_docs_page_and_openapi_spec_below_its_url()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var guid = await node.DeployAsync("priced", TestBundles.PlumberApi("""
            #* The price of a thing
            #* @param item What to price
            #* @get /price
            function(item = "tea") list(item = item, price = 3)
            """));

        var docs = await node.Http.GetAsync($"content/{guid}/__docs__/");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("swagger", (await docs.Content.ReadAsStringAsync()).ToLowerInvariant());

        var spec = JsonDocument.Parse(await node.Http.GetStringAsync($"content/{guid}/openapi.json")).RootElement;
        Assert.True(spec.GetProperty("paths").TryGetProperty("/price", out _), spec.ToString());
        Assert.Contains("\"price\":[3]", (await node.Http.GetStringAsync($"content/{guid}/price")).Replace(" ", ""));
    }
}
