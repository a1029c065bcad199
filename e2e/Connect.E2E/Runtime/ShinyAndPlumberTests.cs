using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;
using Microsoft.Playwright;

namespace Connect.E2E.Runtime;

/// <summary>Shiny in a real browser and Plumber over HTTP, both deployed with the real rsconnect.</summary>
public sealed class ShinyAndPlumberTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly TempDirectory _folder = new("connect-shiny");

    public void Dispose() => _folder.Dispose();

    public const string DoublingApp = """
        library(shiny)
        ui <- fluidPage(
          titlePanel("Doubler"),
          numericInput("n", "Number", value = 2),
          actionButton("go", "Double it"),
          textOutput("result")
        )
        server <- function(input, output, session) {
          session$allowReconnect(TRUE)
          value <- eventReactive(input$go, input$n * 2, ignoreNULL = FALSE)
          output$result <- renderText(paste("Result:", value()))
        }
        shinyApp(ui, server)
        """;

    [Fact]
    public async Task I_can_use_a_shiny_app_deployed_with_rsconnect_in_a_browser()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var app = Directory.CreateDirectory(_folder.File("doubler")).FullName;
        await File.WriteAllTextAsync(Path.Combine(app, "app.R"), DoublingApp);
        await Rsconnect.For(node, _folder).DeployAsync(app, "doubler");
        var guid = await GuidOfAsync(node, "doubler");
        await node.SetAccessTypeAsync(guid, "all");
        var page = await browser.Browser.NewPageAsync();

        await page.GotoAsync(new Uri(node.BaseUrl, $"content/{guid}/").ToString());
        var result = page.Locator("#result");
        await Assertions.Expect(result).ToHaveTextAsync("Result: 4");

        // The output only changes through Shiny's WebSocket, so this proves the proxied socket works.
        await page.GetByLabel("Number").FillAsync("21");
        await page.GetByRole(AriaRole.Button, new() { Name = "Double it" }).ClickAsync();

        await Assertions.Expect(result).ToHaveTextAsync("Result: 42");
        var worker = Assert.Single(await node.WorkersOfAsync(guid));
        Assert.True(worker.GetProperty("connections").GetInt32() >= 1, "the open WebSocket holds a connection on the worker");
    }

    [Fact]
    public async Task I_can_call_a_plumber_api_deployed_with_rsconnect()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var api = Directory.CreateDirectory(_folder.File("calc")).FullName;
        await File.WriteAllTextAsync(Path.Combine(api, "plumber.R"), """
            #* @get /echo
            function(msg = "") list(msg = msg)

            #* @post /sum
            function(a, b) list(sum = as.numeric(a) + as.numeric(b))
            """);
        await Rsconnect.For(node, _folder).DeployAsync(api, "calc");
        var guid = await GuidOfAsync(node, "calc");
        await node.SetAccessTypeAsync(guid, "all");

        var echo = await node.Http.GetFromJsonAsync<JsonElement>($"content/{guid}/echo?msg=hello%20there");
        var sum = await node.Http.PostAsJsonAsync($"content/{guid}/sum", new { a = 19, b = 23 });

        Assert.Equal("hello there", echo.GetProperty("msg")[0].GetString());
        Assert.Equal(42, (await sum.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sum")[0].GetDouble());
    }

    private static async Task<string> GuidOfAsync(NodeProcess node, string name)
    {
        using var admin = node.ClientWithKey(node.AdminKey);
        var items = await admin.GetFromJsonAsync<JsonElement>("__api__/v1/content");
        return items.EnumerateArray().Single(i => i.GetProperty("name").GetString() == name).GetProperty("guid").GetString()!;
    }

    [Fact]
    public async Task An_interactive_r_markdown_document_runs_in_a_browser()
    {
        await using var node = NodeProcess.Start(_folder, "node", "");
        await node.WaitUntilServingAsync();
        var rmd = """
            ---
            title: "Interactive"
            output: html_document
            runtime: shiny
            ---

            ```{r, echo = FALSE}
            numericInput("n", "Number", 3)
            renderText(paste("Squared:", input$n^2))
            ```
            """;
        var guid = await node.DeployAsync("interactive", TestBundles.Create(
            ("manifest.json", TestBundles.Manifest("rmd-shiny", primaryRmd: "doc.Rmd")), ("doc.Rmd", rmd)));
        var page = await browser.Browser.NewPageAsync();

        await page.GotoAsync(new Uri(node.BaseUrl, $"content/{guid}/").ToString());
        await Assertions.Expect(page.GetByText("Squared: 9")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await page.GetByLabel("Number").FillAsync("12");

        await Assertions.Expect(page.GetByText("Squared: 144")).ToBeVisibleAsync();
    }
}
