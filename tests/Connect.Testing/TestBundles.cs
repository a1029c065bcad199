using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Connect.Testing;

/// <summary>Builds bundles (gzip-compressed tars) in memory, good ones and hostile ones.</summary>
public static class TestBundles
{
    public static string Manifest(string appMode, string? primaryHtml = null, string? primaryRmd = null, params string[] packages) =>
        $$"""
        {
          "version": 1,
          "metadata": {
            "appmode": "{{appMode}}",
            "primary_rmd": {{Json(primaryRmd)}},
            "primary_html": {{Json(primaryHtml)}}
          },
          "packages": {{(packages.Length == 0 ? "null" : "{" + string.Join(",", packages.Select(p => $"\"{p}\": {{\"Source\": \"CRAN\"}}")) + "}")}},
          "files": {}
        }
        """;

    /// <summary>A static HTML site: manifest plus index.html saying <paramref name="text"/>.</summary>
    public static byte[] StaticSite(string text) => Create(
        ("manifest.json", Manifest("static", "index.html")),
        ("index.html", $"<html><body><h1>{text}</h1></body></html>"));

    /// <summary>A Shiny app bundle whose app.R is <paramref name="appR"/>.</summary>
    public static byte[] ShinyApp(string appR, params string[] packages) =>
        Create(("manifest.json", Manifest("shiny", packages: packages)), ("app.R", appR));

    /// <summary>A Plumber API bundle whose plumber.R is <paramref name="plumberR"/>.</summary>
    public static byte[] PlumberApi(string plumberR) =>
        Create(("manifest.json", Manifest("api")), ("plumber.R", plumberR));

    /// <summary>The smallest Shiny app: a text output that echoes a numeric input.</summary>
    public const string EchoApp = """
        library(shiny)
        ui <- fluidPage(numericInput("n", "n", 1), textOutput("out"))
        server <- function(input, output, session) output$out <- renderText(paste("n is", input$n))
        shinyApp(ui, server)
        """;

    public static byte[] Create(params (string Name, string Content)[] files) => Create(writer =>
    {
        foreach (var (name, content) in files)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            };
            writer.WriteEntry(entry);
        }
    });

    public static byte[] Create(Action<TarWriter> write)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(writer);
        }

        return output.ToArray();
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static string Json(string? value) => value is null ? "null" : $"\"{value}\"";
}
