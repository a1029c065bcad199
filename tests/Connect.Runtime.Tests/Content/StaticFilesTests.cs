using Connect.Runtime.Content;
using Connect.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Connect.Runtime.Tests.Content;

/// <summary>The second's memory of what a path under a content root resolves to.</summary>
public sealed class StaticFilesTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_path_is_resolved_once_a_second_and_its_size_and_time_come_with_it()
    {
        var root = Directory.CreateDirectory(_folder.File("bundle")).FullName;
        var files = new StaticFiles(_clock);

        Assert.Null(files.Find(root, "late.html"));
        File.WriteAllText(Path.Combine(root, "late.html"), "hello");
        Assert.Null(files.Find(root, "late.html")); // remembered as missing for the second

        _clock.Advance(StaticFiles.Freshness);
        var found = files.Find(root, "late.html");

        Assert.NotNull(found);
        Assert.Equal(5, found.Length);
        Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(root, "late.html")), found.LastWriteTimeUtc);
        Assert.Equal("hello"u8.ToArray(), found.Bytes); // small: sent from memory
        Assert.Null(files.Find(root, "../bundle/late.html")); // the same rules as ServableFile
        Assert.Null(files.Find(root, ".hidden"));

        File.WriteAllBytes(Path.Combine(root, "big.bin"), new byte[StaticFiles.SmallFile + 1]);
        var big = files.Find(root, "big.bin");
        Assert.Equal(StaticFiles.SmallFile + 1, big!.Length);
        Assert.Null(big.Bytes); // large: sent from disk
    }

    [Fact]
    public void A_small_text_file_comes_compressed_once_and_other_files_do_not()
    {
        var root = Directory.CreateDirectory(_folder.File("compressed")).FullName;
        var text = string.Concat(Enumerable.Repeat("<p>the same paragraph again</p>\n", 100));
        File.WriteAllText(Path.Combine(root, "page.html"), text);
        File.WriteAllText(Path.Combine(root, "tiny.html"), "<p>hi</p>");
        File.WriteAllBytes(Path.Combine(root, "noise.js"), System.Security.Cryptography.RandomNumberGenerator.GetBytes(4096));
        File.WriteAllText(Path.Combine(root, "image.png"), text);
        var files = new StaticFiles(_clock);

        var page = files.Find(root, "page.html")!;
        Assert.True(page.IsCompressed);
        Assert.Equal(text, Decompress(new System.IO.Compression.BrotliStream(new MemoryStream(page.Brotli!), System.IO.Compression.CompressionMode.Decompress)));
        Assert.Equal(text, Decompress(new System.IO.Compression.GZipStream(new MemoryStream(page.Gzip!), System.IO.Compression.CompressionMode.Decompress)));
        Assert.False(files.Find(root, "tiny.html")!.IsCompressed);  // too small to gain
        Assert.False(files.Find(root, "noise.js")!.IsCompressed);   // does not get smaller
        Assert.False(files.Find(root, "image.png")!.IsCompressed);  // not text

        _clock.Advance(StaticFiles.Freshness);
        Assert.Same(page, files.Find(root, "page.html")); // unchanged: not compressed again
    }

    private static string Decompress(Stream stream)
    {
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
