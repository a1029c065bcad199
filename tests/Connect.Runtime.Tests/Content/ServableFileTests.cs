using Connect.Runtime.Content;
using Connect.Shared.Content;
using Connect.Testing;

namespace Connect.Runtime.Tests.Content;

/// <summary>What <c>/content/{guid}/...</c> may send from a folder, whatever links are in it.</summary>
public sealed class ServableFileTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Root => _folder.File("bundle");

    private void Write(string relative, string text = "x")
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private void Link(string relative, string target) => File.CreateSymbolicLink(Path.Combine(Root, relative), target);

    [Fact]
    public void Every_file_that_is_served_really_lies_inside_the_folder()
    {
        Write("index.html");
        Write("www/app.js");
        Write("data/report_files/figure.png");
        File.WriteAllText(_folder.File("admin-api-key"), "secret");
        Link("alias.html", "index.html");                       // inside: fine
        Link("www/up", "..");                                   // inside (the root itself)
        Link("key", "../admin-api-key");                        // planted by rendering code: out
        Link("etc", "/etc");                                    // out
        Link("www/hop", "up/../key");                           // a chain that ends out
        var realRoot = RealPath.Resolve(Root)!;

        // Walk every name reachable through the tree, following links a few levels deep, and ask for each.
        var asked = new List<string>();
        void Walk(string relative, int depth)
        {
            var full = Path.Combine(Root, relative);
            if (depth > 4 || !Directory.Exists(full))
            {
                return;
            }

            foreach (var entry in Directory.EnumerateFileSystemEntries(full))
            {
                var name = relative.Length == 0 ? Path.GetFileName(entry) : $"{relative}/{Path.GetFileName(entry)}";
                asked.Add(name);
                Walk(name, depth + 1);
            }
        }

        Walk("", 0);
        asked.AddRange(["etc/hostname", "etc/passwd", "key", "www/hop", "www/up/key", "../admin-api-key", "www/../../admin-api-key"]);
        var served = asked.Select(path => (path, file: ContentEndpoint.ServableFile(Root, path))).Where(p => p.file is not null).ToList();

        Assert.All(served, p => Assert.StartsWith(realRoot + "/", p.file!));
        Assert.Contains(served, p => p.path == "alias.html");
        Assert.Contains(served, p => p.path == "data/report_files/figure.png");
        Assert.DoesNotContain(served, p => p.path is "key" or "www/hop" or "etc/hostname" or "www/up/key");
    }

    [Theory]
    [InlineData("manifest.json")]
    [InlineData("rsconnect/documents/report.Rmd/connect.dcf")]
    [InlineData("packrat/packrat.lock")]
    [InlineData("renv.lock")]
    [InlineData(".Renviron")]
    [InlineData("www/.secret")]
    public void Publishing_metadata_and_dot_files_are_never_served(string path)
    {
        Write(path);

        Assert.Null(ContentEndpoint.ServableFile(Root, path));
    }
}
