using Connect.Runtime.Sandbox;
using Connect.Shared.Files;

namespace Connect.Runtime.Tests.Sandbox;

/// <summary>
/// What the node does as root on folders content can write: a link content planted is removed or re-owned itself, and
/// what it points to is never touched; a folder the node keeps for itself is refused when someone else could use it.
/// </summary>
public sealed class NoFollowTreeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("connect-nofollow-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Deleting_a_home_removes_the_links_in_it_and_nothing_they_point_to()
    {
        var precious = Directory.CreateDirectory(Path.Combine(_root, "root-only")).FullName;
        File.WriteAllText(Path.Combine(precious, "keep.txt"), "root's");
        var home = Directory.CreateDirectory(Path.Combine(_root, "home", "abc")).FullName;
        Directory.CreateDirectory(Path.Combine(home, "deep", "er"));
        File.WriteAllText(Path.Combine(home, "deep", "er", "mine.txt"), "content's");
        Directory.CreateSymbolicLink(Path.Combine(home, "deep", "swapped"), precious);
        File.CreateSymbolicLink(Path.Combine(home, "file-link"), Path.Combine(precious, "keep.txt"));

        NoFollowTree.Delete(home);

        Assert.False(Directory.Exists(home));
        Assert.True(Directory.Exists(Path.Combine(_root, "home")));
        Assert.Equal("root's", File.ReadAllText(Path.Combine(precious, "keep.txt")));
    }

    [Fact]
    public void A_walk_lists_a_link_as_a_link_and_never_goes_through_it()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_root, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "root's");
        var home = Directory.CreateDirectory(Path.Combine(_root, "home", "inside")).FullName;
        File.WriteAllText(Path.Combine(home, "mine.txt"), "content's");
        Directory.CreateSymbolicLink(Path.Combine(_root, "home", "link"), outside);

        var problems = new List<string>();
        var entries = NoFollowTree.Walk(Path.Combine(_root, "home"), _ => false, (path, why) => problems.Add(path)).ToList();

        Assert.Equal(["inside", "inside/mine.txt", "link"], entries.Select(e => e.RelativePath).Order());
        Assert.NotNull(entries.Single(e => e.RelativePath == "link").Info.LinkTarget);
        Assert.Empty(problems);
    }

    [Fact]
    public void Re_owning_a_home_re_owns_a_link_but_not_its_target()
    {
        var target = Path.Combine(_root, "target.txt");
        File.WriteAllText(target, "x");
        var home = Directory.CreateDirectory(Path.Combine(_root, "home")).FullName;
        File.CreateSymbolicLink(Path.Combine(home, "link"), target);
        File.WriteAllText(Path.Combine(home, "own.txt"), "y");

        NoFollowTree.Own(home, 1800000001, 1800000001);

        Assert.Equal(1800000001, NoFollowTree.Describe(Path.Combine(home, "own.txt"))!.Value.Uid);
        Assert.Equal(1800000001, NoFollowTree.Describe(Path.Combine(home, "link"))!.Value.Uid);
        Assert.Equal(NoFollowTree.Describe(_root)!.Value.Uid, NoFollowTree.Describe(target)!.Value.Uid);
    }

    [Fact]
    public void A_runtime_folder_someone_else_made_first_is_refused()
    {
        var open = Directory.CreateDirectory(Path.Combine(_root, "open")).FullName;
        File.SetUnixFileMode(open, (UnixFileMode)0x1ED); // 0755
        var link = Path.Combine(_root, "link");
        Directory.CreateSymbolicLink(link, open);
        var mine = Directory.CreateDirectory(Path.Combine(_root, "mine"), (UnixFileMode)0x1C0).FullName;

        Assert.Contains("others may enter it", NodeRuntimeFolder.Problem(open));
        Assert.Contains("not a folder", NodeRuntimeFolder.Problem(link));
        Assert.Null(NodeRuntimeFolder.Problem(mine));
        if (RunAsAccount.NodeIsRoot)
        {
            var theirs = Directory.CreateDirectory(Path.Combine(_root, "theirs"), (UnixFileMode)0x1C0).FullName;
            NoFollowTree.Own(theirs, 65534, 65534);
            Assert.Contains("belongs to uid 65534", NodeRuntimeFolder.Problem(theirs));
        }
    }
}

/// <summary>
/// The races content can run against the node's root walks: a folder in its home swapped for a link to a root-only
/// folder, over and over, while the node deletes the home or backs it up. Neither may ever reach the root-only files.
/// </summary>
public sealed class NoFollowTreeRaceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("connect-race-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_delete_racing_a_folder_swapped_for_a_link_never_deletes_what_the_link_points_to()
    {
        var precious = Directory.CreateDirectory(Path.Combine(_root, "root-only")).FullName;
        for (var i = 0; i < 300; i++)
        {
            File.WriteAllText(Path.Combine(precious, $"f{i}"), "root's");
        }

        for (var round = 0; round < 20; round++)
        {
            var home = Directory.CreateDirectory(Path.Combine(_root, "home", $"r{round}")).FullName;
            var inside = Directory.CreateDirectory(Path.Combine(home, "d")).FullName;
            for (var i = 0; i < 300; i++)
            {
                File.WriteAllText(Path.Combine(inside, $"f{i}"), "content's");
            }

            Directory.CreateSymbolicLink(Path.Combine(home, "l"), precious);
            using var stop = new CancellationTokenSource();
            var swapper = Task.Run(() => Swap(home, stop.Token));
            try
            {
                NoFollowTree.Delete(home);
            }
            catch (IOException)
            {
                // The race may leave the delete short of its end; what matters is what it touched.
            }

            await stop.CancelAsync();
            await swapper;
        }

        Assert.Equal(300, Directory.GetFiles(precious).Length);
    }

    [Fact]
    public async Task A_walk_racing_a_folder_swapped_for_a_link_never_reads_through_it()
    {
        var precious = Directory.CreateDirectory(Path.Combine(_root, "root-only")).FullName;
        File.WriteAllText(Path.Combine(precious, "f"), "root secret");
        var home = Directory.CreateDirectory(Path.Combine(_root, "home")).FullName;
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(home, "d")).FullName, "f"), "content's");
        Directory.CreateSymbolicLink(Path.Combine(home, "l"), precious);
        using var stop = new CancellationTokenSource();
        var swapper = Task.Run(() => Swap(home, stop.Token));

        var read = new List<string>();
        using var stopped = new Finally(() => { stop.Cancel(); swapper.Wait(); });
        for (var round = 0; round < 300; round++)
        {
            foreach (var entry in NoFollowTree.Walk(home, _ => false, (_, _) => { }))
            {
                if (entry.Info is FileInfo && entry.Info.LinkTarget is null)
                {
                    await using var file = NoFollowTree.OpenFile(entry.Folder, entry.Name, out _);
                    if (file is not null)
                    {
                        read.Add(await new StreamReader(file).ReadToEndAsync());
                    }
                }
            }
        }

        stopped.Dispose();
        Assert.Contains("content's", read);
        Assert.DoesNotContain("root secret", read);
    }

    private sealed class Finally(Action action) : IDisposable
    {
        private Action? _action = action;

        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }

    /// <summary>What hostile content does in its home: d and l trade places, again and again.</summary>
    private static void Swap(string home, CancellationToken stop)
    {
        var (d, l, t) = (Path.Combine(home, "d"), Path.Combine(home, "l"), Path.Combine(home, "t"));
        while (!stop.IsCancellationRequested)
        {
            if (rename(d, t) != 0 || rename(l, d) != 0 || rename(d, l) != 0 || rename(t, d) != 0)
            {
                return; // the node removed the home under us
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int rename(string from, string to);
}

/// <summary>Folders nested without end (content can make them) stop a walk with an error, never the node.</summary>
public sealed class NoFollowTreeDepthTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("connect-deep-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void A_home_nested_deeper_than_the_limit_is_refused_with_its_reason_not_a_crash()
    {
        var home = Path.Combine(_root, "home");
        Directory.CreateDirectory(home);
        // Made from the inside out, as content can: each round wraps the whole home in one more folder.
        for (var i = 0; i < NoFollowTree.MaxDepth + 5; i++)
        {
            var next = Directory.CreateDirectory(Path.Combine(_root, "next")).FullName;
            Directory.Move(home, Path.Combine(next, "d"));
            Directory.Move(next, home);
        }

        var refused = Assert.Throws<IOException>(() => NoFollowTree.Delete(home));
        var problems = new List<string>();
        var walked = NoFollowTree.Walk(home, _ => false, (path, why) => problems.Add(why)).Count();

        Assert.Contains($"deeper than {NoFollowTree.MaxDepth} folders", refused.Message);
        Assert.Equal(NoFollowTree.MaxDepth + 1, walked); // a backup takes what lies within the limit, and names the rest
        Assert.Contains($"deeper than {NoFollowTree.MaxDepth} folders", Assert.Single(problems));
    }
}
