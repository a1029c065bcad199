using System.Text.RegularExpressions;
using Connect.Testing;

namespace Connect.Runtime.Tests.Architecture;

/// <summary>
/// Folders of <c>Connect.Runtime</c> import one way: every folder stands in <see cref="Stack"/>, and uses only folders
/// below it. Checked from the source, so a change that adds a loop (or a folder not placed in the stack) fails here, not
/// in a later review. <c>docs/architecture.md</c> draws the same stack.
/// </summary>
public sealed partial class FolderImportTests
{
    /// <summary>The node's folders from the bottom up: each may use those before it, never those after it.</summary>
    private static readonly string[] Stack =
    [
        "Sandbox", "R", "Packages", "Usage", "Metrics", "Processes", "Proxy", "Authentication", "Content", "Publishing",
        "Operations", "Scheduling", "Cluster", "Api", "Hosting", "CommandLine",
    ];

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
    public void Every_folder_imports_only_what_lies_below_it()
    {
        var runtime = Path.Combine(RepositoryPaths.Root, "Connect.Runtime");
        var folders = Directory.GetDirectories(runtime).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToHashSet()!;
        var unplaced = folders.Except(Stack).ToList();
        Assert.True(unplaced.Count == 0, "these folders are not placed in the stack (add them where they belong): " + string.Join(", ", unplaced));

        var wrong = new List<string>();
        for (var level = 0; level < Stack.Length; level++)
        {
            var folder = Stack[level];
            var above = Stack[(level + 1)..];
            foreach (var file in Directory.GetFiles(Path.Combine(runtime, folder), "*.cs", SearchOption.AllDirectories))
            {
                var code = string.Join('\n', File.ReadLines(file).Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)));
                var used = Usings().Matches(code).Select(m => m.Groups[1].Value)
                    .Concat(Qualified().Matches(code).Select(m => m.Groups[1].Value).Where(folders.Contains))
                    .Where(above.Contains)
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
