using Connect.Shared.Data;
using Dapper;

namespace Connect.Shared.Content;

/// <summary>
/// Rendered R Markdown outputs, <c>{DataDir}/output/{content id}/{bundle id}-{run}</c>, where the run is a deploy
/// task's id or <c>job{id}-{claim}</c> for a scheduled render. A folder stays while it is live (some content's
/// <c>output_path</c>) or its run is still going; every other one — replaced by a newer render, or left by a
/// render whose node died — is removed once it is older than <see cref="Grace"/>.
/// </summary>
public sealed class RenderedOutputs(ConnectDatabase database)
{
    /// <summary>
    /// How old an unneeded folder must be before it goes: a viewer may still be loading the pages of an output
    /// just replaced, and a run's folder may be made between reading the runs and listing the folders.
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromMinutes(10);

    /// <summary>Removes the unneeded output folders under <paramref name="dataDir"/>; gives their paths relative to it.</summary>
    public async Task<IReadOnlyList<string>> SweepAsync(string dataDir, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var root = Path.Combine(dataDir, Files.DataLayout.Output);
        if (!Directory.Exists(root))
        {
            return [];
        }

        var (live, running) = await InUseAsync(cancellationToken);
        var removed = new List<string>();
        foreach (var folder in Directory.EnumerateDirectories(root).SelectMany(Directory.EnumerateDirectories))
        {
            var relative = Path.GetRelativePath(dataDir, folder);
            var name = Path.GetFileName(folder);
            var run = name[(name.IndexOf('-') + 1)..];
            if (live.Contains(relative) || running.Contains(run) || now - Directory.GetLastWriteTimeUtc(folder) < Grace)
            {
                continue;
            }

            try
            {
                Files.NoFollowTree.Delete(folder); // the render wrote it as content: its links are removed, never followed
                removed.Add(relative);
            }
            catch (DirectoryNotFoundException)
            {
                // Another node swept it first.
            }
        }

        return removed;
    }

    private async Task<(HashSet<string> Live, HashSet<string> Running)> InUseAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var live = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT output_path FROM content WHERE output_path IS NOT NULL", cancellationToken: cancellationToken));
        var running = await connection.QueryAsync<string>(new CommandDefinition("""
            SELECT id FROM tasks WHERE finished = 0
            UNION ALL
            SELECT 'job' || CAST(id AS TEXT) || '-' || CAST(claim_token AS TEXT) FROM jobs WHERE status = 'running'
            """, cancellationToken: cancellationToken));
        return (live.Select(Path.TrimEndingDirectorySeparator).ToHashSet(), running.ToHashSet());
    }
}
