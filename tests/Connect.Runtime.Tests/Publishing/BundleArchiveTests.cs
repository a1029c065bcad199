using System.Formats.Tar;
using System.Text;
using Connect.Runtime.Publishing;
using Connect.Testing;

namespace Connect.Runtime.Tests.Publishing;

public sealed class BundleArchiveTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Destination => _folder.File("bundle");

    private async Task<string?> ExtractAsync(byte[] archive, long limit = 1 << 20, int maxEntries = 1000) =>
        await BundleArchive.ExtractAsync(new MemoryStream(archive), Destination, limit, maxEntries, CancellationToken.None);

    private static PaxTarEntry File(string name, string content = "x") =>
        new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };

    private static PaxTarEntry Link(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    /// <summary>Every file under the temp folder except those inside the bundle folder.</summary>
    private IEnumerable<string> FilesOutsideBundle() =>
        Directory.EnumerateFileSystemEntries(_folder.Path, "*", SearchOption.AllDirectories)
            .Where(p => !p.StartsWith(Destination + Path.DirectorySeparatorChar, StringComparison.Ordinal) && p != Destination);

    /// <summary>Links that each look inside when read as text, but lead out when followed one through another.</summary>
    public static TheoryData<string, (string Name, string Target)[]> LinkChains => new()
    {
        { "dot then dot-dot", [("a", "."), ("b", "a/.."), ("x", "b/etc/hostname")] },
        {
            "a long ladder up to the root",
            [("a", "."), ("b", "a/.."), ("c", "b/.."), ("d", "c/.."), ("e", "d/.."), ("f", "e/.."), ("g", "f/.."), ("x", "g/etc/hostname")]
        },
        { "a folder link then up", [("sub/up", ".."), ("sub2", "sub/up/.."), ("x", "sub2/secret")] },
        { "a link to a link that leaves", [("a", "."), ("b", "a/../outside"), ("c", "b")] },
        { "a loop", [("a", "b"), ("b", "a")] },
        { "a dangling link through a link", [("a", "."), ("x", "a/../nowhere/at/all")] },
    };

    [Theory]
    [MemberData(nameof(LinkChains))]
    public async Task A_chain_of_links_that_leads_out_is_refused(string what, (string Name, string Target)[] links)
    {
        _ = what;
        System.IO.File.WriteAllText(_folder.File("secret"), "outside the bundle");
        var error = await ExtractAsync(TestBundles.Create(w =>
        {
            w.WriteEntry(File("index.html", "hello"));
            foreach (var (name, target) in links)
            {
                w.WriteEntry(Link(name, target));
            }
        }));

        Assert.NotNull(error);
        Assert.Matches("symbolic link '.*' -> '.*' leads (outside the bundle|nowhere)", error);
    }

    [Fact]
    public async Task A_small_bundle_of_too_many_empty_files_is_refused()
    {
        var archive = TestBundles.Create(w =>
        {
            for (var i = 0; i < 1001; i++)
            {
                w.WriteEntry(File($"empty-{i}", ""));
            }
        });

        var error = await ExtractAsync(archive, maxEntries: 1000);

        Assert.True(archive.Length < 100_000); // its bytes are nowhere near any size limit
        Assert.Equal("the bundle holds more than 1,000 files and folders (Applications.MaxBundleFiles)", error);
    }

    [Fact]
    public async Task A_good_bundle_is_extracted_with_its_folders_and_inner_links()
    {
        var archive = TestBundles.Create(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "./www/"));
            w.WriteEntry(File("./www/style.css", "body {}"));
            w.WriteEntry(File("app.R", "library(shiny)"));
            w.WriteEntry(Link("www/alias.css", "style.css"));
        });

        Assert.Null(await ExtractAsync(archive));

        Assert.Equal("library(shiny)", System.IO.File.ReadAllText(Path.Combine(Destination, "app.R")));
        Assert.Equal("body {}", System.IO.File.ReadAllText(Path.Combine(Destination, "www", "alias.css")));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("www/../../escape.txt")]
    [InlineData("/tmp/escape.txt")]
    public async Task An_entry_naming_a_path_outside_is_refused(string name)
    {
        var error = await ExtractAsync(TestBundles.Create(w => w.WriteEntry(File(name))));

        Assert.Contains("points outside the bundle", error);
        Assert.Empty(FilesOutsideBundle());
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../../outside")]
    [InlineData("sub/../../outside")]
    public async Task A_symbolic_link_pointing_outside_is_refused(string target)
    {
        var error = await ExtractAsync(TestBundles.Create(w => w.WriteEntry(Link("evil", target))));

        Assert.Contains("symbolic link 'evil'", error);
        Assert.Contains("points outside the bundle", error);
        Assert.False(System.IO.File.Exists(Path.Combine(Destination, "evil")) || Directory.Exists(Path.Combine(Destination, "evil")));
    }

    [Fact]
    public async Task Writing_through_a_link_the_bundle_made_is_refused()
    {
        // "here" points inside, but "here/x" -> ".." would then resolve outside.
        var archive = TestBundles.Create(w =>
        {
            w.WriteEntry(Link("here", "."));
            w.WriteEntry(Link("here/escape", ".."));
        });

        var error = await ExtractAsync(archive);

        Assert.Contains("inside a symbolic link", error);
        Assert.Empty(FilesOutsideBundle());
    }

    [Fact]
    public async Task Device_files_are_refused()
    {
        var error = await ExtractAsync(TestBundles.Create(w => w.WriteEntry(new PaxTarEntry(TarEntryType.Fifo, "pipe"))));

        Assert.Contains("'pipe' is a Fifo", error);
    }

    [Fact]
    public async Task Damage_anywhere_after_the_gzip_header_is_refused_or_changes_nothing()
    {
        var good = TestBundles.StaticSite("hi");
        var refused = 0;

        // Byte 10 on: the compressed data and the trailer (the header itself carries no checksum).
        // A few flips land on bits deflate ignores (padding, unused code lengths); those must extract
        // exactly the original files. Every other one must be refused before anything is written.
        for (var i = 10; i < good.Length; i++)
        {
            var damaged = (byte[])good.Clone();
            damaged[i] ^= 0x55;

            var error = await ExtractAsync(damaged);

            if (error is null)
            {
                Assert.Equal("<html><body><h1>hi</h1></body></html>", System.IO.File.ReadAllText(Path.Combine(Destination, "index.html")));
                Directory.Delete(Destination, recursive: true);
                continue;
            }

            refused++;
            Assert.True(error.Contains("not a gzip-compressed tar archive"), $"damage at byte {i} gave: {error}");
            Assert.Empty(Directory.GetFileSystemEntries(Destination));
        }

        Assert.True(refused > (good.Length - 10) * 9 / 10, $"only {refused} of {good.Length - 10} damaged copies were refused");
    }

    [Fact]
    public async Task A_truncated_bundle_is_refused()
    {
        var good = TestBundles.StaticSite("hi");

        Assert.Contains("not a gzip-compressed tar archive", await ExtractAsync(good[..(good.Length - 20)]));
    }

    [Fact]
    public async Task Plain_text_is_refused()
    {
        Assert.Contains("not a gzip-compressed tar archive", await ExtractAsync(Encoding.UTF8.GetBytes("this is not a bundle")));
    }

    [Fact]
    public async Task Gzip_that_is_not_a_tar_is_refused()
    {
        var error = await ExtractAsync(TestBundles.Gzip(Encoding.UTF8.GetBytes(new string('z', 2000))));

        Assert.NotNull(error);
        Assert.Matches("not a (valid|gzip-compressed) tar archive|truncated", error);
    }

    [Fact]
    public async Task A_bundle_that_unpacks_beyond_the_limit_is_refused()
    {
        var archive = TestBundles.Create(("big.txt", new string('a', 4096)));

        Assert.Contains("unpacks to more than", await ExtractAsync(archive, limit: 1000));
    }
}
