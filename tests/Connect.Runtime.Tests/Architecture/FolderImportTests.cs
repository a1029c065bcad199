using System.Text.RegularExpressions;
using Connect.Testing;

namespace Connect.Runtime.Tests.Architecture;

/// <summary>
/// Folders of <c>Connect.Runtime</c> import one way: a folder low in the stack never reaches up into the folders that use
/// it. Checked from the source, so a change that adds a loop fails here, not in a later review. The folders listed are
/// those untangled so far (the running of R, scheduling, usage; the API over them all); the rest are listed in
/// <c>docs/architecture.md</c> with what is left.
/// </summary>
public sealed partial class FolderImportTests
{
    /// <summary>Each checked folder and the only <c>Connect.Runtime</c> folders it may use.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Sandbox"] = [],
        ["R"] = ["Sandbox"],
        ["Packages"] = ["R", "Sandbox"],
        ["Scheduling"] = ["Content", "Metrics", "Packages", "R", "Sandbox"],
        ["Usage"] = [],
    };

    [Fact]
    public void Only_the_host_maps_the_api_and_no_capability_folder_reaches_into_it()
    {
        var runtime = Path.Combine(RepositoryPaths.Root, "Connect.Runtime");
        var wrong = Directory.GetFiles(runtime, "*.cs", SearchOption.AllDirectories)
            .Where(file => Path.GetRelativePath(runtime, file).Split(Path.DirectorySeparatorChar) is [var folder, ..] && folder is not ("Api" or "Hosting" or "bin" or "obj"))
            .Where(file => ApiUse().IsMatch(File.ReadAllText(file)))
            .Select(file => Path.GetRelativePath(runtime, file))
            .ToList();

        Assert.True(wrong.Count == 0, "these use the API folder, which only translates HTTP to the capabilities: " + string.Join(", ", wrong));
    }

    [GeneratedRegex(@"using Connect\.Runtime\.Api|(?<![\w.])Api\.(V1|Legacy|Json)\.")]
    private static partial Regex ApiUse();

    [Fact]
    public void The_checked_folders_import_only_what_lies_below_them()
    {
        var runtime = Path.Combine(RepositoryPaths.Root, "Connect.Runtime");
        var folders = Directory.GetDirectories(runtime).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToHashSet()!;
        var wrong = new List<string>();
        foreach (var (folder, allowed) in Allowed)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(runtime, folder), "*.cs", SearchOption.AllDirectories))
            {
                var code = string.Join('\n', File.ReadLines(file).Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)));
                var used = Usings().Matches(code).Select(m => m.Groups[1].Value)
                    .Concat(Qualified().Matches(code).Select(m => m.Groups[1].Value).Where(folders.Contains))
                    .Where(used => used != folder && !allowed.Contains(used))
                    .Distinct();
                wrong.AddRange(used.Select(used => $"{Path.GetRelativePath(runtime, file)} uses {used}"));
            }
        }

        Assert.True(wrong.Count == 0, "imports against the direction: " + string.Join("; ", wrong));
    }

    [GeneratedRegex(@"using Connect\.Runtime\.(\w+)")]
    private static partial Regex Usings();

    [GeneratedRegex(@"(?<![\w.""])(?:Connect\.Runtime\.)?([A-Z]\w*)\.[A-Z]\w*")]
    private static partial Regex Qualified();
}
