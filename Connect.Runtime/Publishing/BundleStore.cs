using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Files;

namespace Connect.Runtime.Publishing;

/// <summary>Outcome of an upload: the stored bundle, or the HTTP status and message for the client.</summary>
internal sealed record UploadResult(Bundle? Bundle, int Status, string? Error)
{
    public static UploadResult Refused(string error, int status = StatusCodes.Status400BadRequest) => new(null, status, error);
}

/// <summary>
/// Bundles in the shared data directory: the archive as uploaded in <c>bundles/{content}/{bundle}.tar.gz</c>,
/// extracted into <c>apps/{content}/{bundle}/</c>. An upload is written under a temporary name and only
/// becomes a bundle (a database row and its final folders) once it has been checked whole.
/// </summary>
internal sealed partial class BundleStore(ConnectOptions options, BundleRepository bundles, Shared.Packages.PackageCache packages, Shared.Cluster.NodeIdentity node,
    ILogger<BundleStore> logger)
{
    /// <summary>
    /// Uploads in progress on this node are named after it (by a hash: node names may hold any character),
    /// so a restarted node knows which leftovers are its own.
    /// </summary>
    private string StagingPrefix => $"upload-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(node.Name)))[..12]}-";

    /// <summary>
    /// Removes what uploads cut short by a crash of this node left behind (staging archives and partial
    /// extractions). Run at start, before the node takes requests; other nodes' uploads are left alone.
    /// </summary>
    public int SweepStaging()
    {
        var removed = 0;
        foreach (var area in new[] { DataLayout.Bundles, DataLayout.Apps })
        {
            var root = Path.Combine(options.DataDir, area);
            if (!Directory.Exists(root))
            {
                continue;
            }

            foreach (var leftover in Directory.EnumerateDirectories(root).SelectMany(content => Directory.EnumerateFileSystemEntries(content, StagingPrefix + "*")))
            {
                if (Directory.Exists(leftover))
                {
                    Directory.Delete(leftover, recursive: true);
                }
                else
                {
                    File.Delete(leftover);
                }

                removed++;
            }
        }

        if (removed > 0)
        {
            LogSwept(removed, node.Name);
        }

        return removed;
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "Removed {Count} unfinished upload(s) an earlier process of node {Node} left behind")]
    private partial void LogSwept(int count, string node);

    /// <summary>Extracted bundles may be this many times larger than <c>Applications.MaxBundleSize</c>.</summary>
    public const int MaxExpansion = 10;

    public string FullPath(string relative) => DataLayout.Resolve(options.DataDir, relative);

    public string ArchivePath(Bundle bundle) => DataLayout.Archive(options.DataDir, bundle.ContentId, bundle.Id);

    public async Task<UploadResult> UploadAsync(ContentItem content, Stream body, CancellationToken cancellationToken)
    {
        var limit = options.Applications.MaxBundleSize;
        var archiveDir = Path.Combine(options.DataDir, DataLayout.Bundles, content.Id.ToString());
        var appsDir = Path.Combine(options.DataDir, DataLayout.Apps, content.Id.ToString());
        Directory.CreateDirectory(archiveDir);
        Directory.CreateDirectory(appsDir);
        var staging = $"{StagingPrefix}{Guid.NewGuid():N}";
        var archive = Path.Combine(archiveDir, staging + ".tar.gz");
        var extracted = Path.Combine(appsDir, staging);
        var keep = false;
        try
        {
            long size;
            await using (var file = new FileStream(archive, FileMode.CreateNew, FileAccess.Write))
            {
                size = await CopyAtMostAsync(body, file, limit.Bytes, cancellationToken);
            }

            if (size < 0)
            {
                return UploadResult.Refused($"the bundle is larger than this server accepts (Applications.MaxBundleSize = {limit})", StatusCodes.Status413PayloadTooLarge);
            }

            if (size == 0)
            {
                return UploadResult.Refused("the bundle is empty");
            }

            await using (var file = File.OpenRead(archive))
            {
                if (await BundleArchive.ExtractAsync(file, extracted, limit.Bytes * MaxExpansion, options.Applications.MaxBundleFiles, cancellationToken) is { } problem)
                {
                    return UploadResult.Refused(problem);
                }
            }

            var (manifest, error) = BundleManifest.Read(extracted);
            if (manifest is null)
            {
                return UploadResult.Refused(error!);
            }

            var bundle = await bundles.AddAsync(content.Id, Path.GetRelativePath(options.DataDir, extracted), size,
                manifest.AppMode, manifest.PrimaryFile, manifest.Packages, cancellationToken);
            var finalDir = Path.Combine(appsDir, bundle.Id.ToString());
            try
            {
                Directory.Move(extracted, finalDir);
                File.Move(archive, ArchivePath(bundle));
                var relative = Path.GetRelativePath(options.DataDir, finalDir);
                await bundles.SetPathAsync(bundle.Id, relative, cancellationToken);
                keep = true;
                return new UploadResult(bundle with { Path = relative }, StatusCodes.Status200OK, null);
            }
            catch
            {
                // The row and its files go together: a bundle row pointing at missing files is never left behind.
                if (Directory.Exists(finalDir))
                {
                    Directory.Move(finalDir, extracted);
                }

                await bundles.DeleteAsync(bundle.Id, CancellationToken.None);
                throw;
            }
        }
        catch (IOException e) when (Shared.Data.DatabaseErrors.IsDiskFull(e))
        {
            return UploadResult.Refused(
                $"the server's disk is full ({options.DataDir}): the upload was not kept; free space on the data directory and try again",
                StatusCodes.Status507InsufficientStorage);
        }
        finally
        {
            if (!keep)
            {
                File.Delete(archive);
                if (Directory.Exists(extracted))
                {
                    Directory.Delete(extracted, recursive: true);
                }
            }
        }
    }

    /// <summary>Removes one bundle's archive and folder (its row is gone first, so nothing serves it any more).</summary>
    public void DeleteBundleFiles(Bundle bundle)
    {
        File.Delete(ArchivePath(bundle));
        DeleteLibrary(bundle);
        // Only ever a folder under apps/{content id}/: a row's path never gets to name anything else.
        var folder = Path.GetFullPath(FullPath(bundle.Path));
        var apps = Path.GetFullPath(Path.Combine(options.DataDir, DataLayout.Apps, bundle.ContentId.ToString())) + Path.DirectorySeparatorChar;
        if (folder.StartsWith(apps, StringComparison.Ordinal))
        {
            NoFollowTree.Delete(folder);
        }
    }

    /// <summary>The record of which packages a bundle runs with; its cache entries stay, as other bundles may use them.</summary>
    private void DeleteLibrary(Bundle bundle)
    {
        var library = Shared.Packages.BundleLibrary.PathOf(packages, bundle.Id);
        if (File.Exists(library))
        {
            File.Delete(library);
        }
    }

    public void DeleteContentFiles(ContentItem content, IReadOnlyList<Bundle> bundles)
    {
        foreach (var bundle in bundles)
        {
            DeleteLibrary(bundle);
        }

        // home/{guid} and the outputs were written by content, possibly still running on another node: every step of the
        // walk opens the next folder without following a link, so a link swapped in mid-way is removed, not followed.
        foreach (var path in new[] { DataLayout.Bundles, DataLayout.Apps, DataLayout.Output }.Select(folder => Path.Combine(options.DataDir, folder, content.Id.ToString()))
                     .Append(DataLayout.ContentHome(options.DataDir, content.Guid)))
        {
            NoFollowTree.Delete(path);
        }
    }

    /// <summary>Copies up to <paramref name="limit"/> bytes; returns the count, or -1 if the source had more.</summary>
    private static async Task<long> CopyAtMostAsync(Stream source, Stream destination, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > limit)
            {
                return -1;
            }

            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return total;
    }
}
