using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Connect.Testing;

namespace Connect.Runtime.Tests.Hosting;

/// <summary>A data directory that fills up during an upload: the truth is reported and nothing half-written is kept.</summary>
public sealed class FullDiskTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private string DataDir => _folder.File("data");

    public async Task InitializeAsync()
    {
        // A 1 MiB file system of its own as the data directory; the database lives elsewhere.
        Directory.CreateDirectory(DataDir);
        Assert.Equal(0, await RunAsync("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", DataDir));
    }

    public async Task DisposeAsync()
    {
        await RunAsync("umount", "-l", DataDir);
        _folder.Dispose();
    }

    private static async Task<int> RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true })!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    [Fact]
    public async Task An_upload_that_fills_the_disk_gets_507_and_leaves_no_bundle_row_or_files()
    {
        await using var node = NodeProcess.Start(_folder, "node", $"""
            [Database]
            Dir = {_folder.File("db")}
            [Applications]
            MaxBundleSize = 5 MiB
            """);
        await node.WaitUntilServingAsync();
        using var admin = node.ClientWithKey(node.AdminKey);
        var guid = (await NodePublishing.Json(await admin.PostAsJsonAsync("__api__/v1/content", new { name = "big" }))).GetProperty("guid").GetString();
        var noise = new byte[2 << 20];
        Random.Shared.NextBytes(noise);
        var big = TestBundles.Create(w =>
        {
            w.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "manifest.json")
            {
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(TestBundles.Manifest("static", "index.html"))),
            });
            w.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, "index.html") { DataStream = new MemoryStream(noise) });
        });
        var body = new ByteArrayContent(big);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");

        var upload = await admin.PostAsync($"__api__/v1/content/{guid}/bundles", body);
        var bundles = await NodePublishing.Json(await admin.GetAsync($"__api__/v1/content/{guid}/bundles"));

        Assert.Equal(HttpStatusCode.InsufficientStorage, upload.StatusCode);
        Assert.Contains("disk is full", (await NodePublishing.Json(upload)).GetProperty("error").GetString());
        Assert.DoesNotContain("database", (await NodePublishing.Json(upload)).GetProperty("error").GetString());
        Assert.Empty(bundles.EnumerateArray());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(DataDir, "bundles"), "*", SearchOption.AllDirectories));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.Combine(DataDir, "apps"), "*", SearchOption.AllDirectories),
            p => Path.GetFileName(p).StartsWith("upload-", StringComparison.Ordinal));

        // With the space back, a small bundle goes through.
        var small = new ByteArrayContent(TestBundles.StaticSite("fits"));
        small.Headers.ContentType = new MediaTypeHeaderValue("application/gzip");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"__api__/v1/content/{guid}/bundles", small)).StatusCode);
    }
}
