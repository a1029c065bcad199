using Connect.Runtime.Sandbox;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Runtime.Tests.Sandbox;

/// <summary>What bubblewrap is told, without running R: the rules of the sandbox as arguments.</summary>
public sealed class ContentSandboxTests
{
    private static readonly ConnectOptions Options = new()
    {
        Server = new ServerOptions { DataDir = "/srv/connect/data" },
        Database = new DatabaseOptions { Dir = "/srv/connect/db" },
    };

    private static ContentSandbox Sandbox() =>
        new(Options, new NodeIdentity("node", "http://node:3939", "1", 1, "i"), NullLogger<ContentSandbox>.Instance);

    [Fact]
    public void The_data_directory_and_database_are_hidden_and_only_the_contents_own_folders_are_mounted()
    {
        const string bundle = "/srv/connect/data/apps/7/12";
        const string home = "/srv/connect/data/home/abc";
        var args = Sandbox().Arguments(new SandboxView(bundle, [bundle], [home], home), new RunAsAccount("content-7", 1800000007, 1800000007), outbound: false);
        var text = string.Join(' ', args);

        Assert.Contains("--ro-bind / /", text);
        Assert.Contains("--tmpfs /srv/connect/data", text);
        Assert.Contains("--tmpfs /srv/connect/db", text);
        Assert.Contains("--perms 1777 --tmpfs /tmp", text);
        Assert.Contains($"--ro-bind {bundle} {bundle}", text);
        Assert.Contains($"--bind {home} {home}", text);
        Assert.DoesNotContain("--bind /srv/connect/data ", text);
        // The mount points' parents inside the hidden folder are made, readable by the RunAs user.
        Assert.Contains("--perms 0755 --dir /srv/connect/data/apps/7", text);
        foreach (var flag in new[] { "--unshare-pid", "--unshare-net", "--die-with-parent", "--new-session", "--proc /proc", "--dev /dev" })
        {
            Assert.Contains(flag, text);
        }

        Assert.True(text.IndexOf("--tmpfs /srv/connect/data", StringComparison.Ordinal) < text.IndexOf($"--ro-bind {bundle}", StringComparison.Ordinal),
            "the bundle must be mounted after the data directory is hidden, or the hiding would cover it");
        Assert.Equal($"--chdir {bundle}", string.Join(' ', args.SkipWhile(a => a != "--chdir").Take(2)));
    }

    [Fact]
    public void A_content_variable_never_replaces_the_sandboxs_own_and_each_name_comes_once()
    {
        var view = new SandboxView("/srv/connect/data/apps/7/12", [], ["/srv/connect/data/home/abc"], "/srv/connect/data/home/abc");
        var variables = Sandbox().Variables(view, new RunAsAccount("content-7", 1800000007, 1800000007), "0b7c", new Dictionary<string, string>
        {
            ["API_TOKEN"] = "secret",
            ["HOME"] = "/root",
            ["PATH"] = "/tmp/evil",
            ["CONNECT_CONTENT_GUID"] = "someone-else",
        });

        Assert.Equal(variables.Count, variables.Select(v => v.Key).Distinct().Count());
        var byName = variables.ToDictionary(v => v.Key, v => v.Value);
        Assert.Equal("secret", byName["API_TOKEN"]);
        Assert.Equal("/srv/connect/data/home/abc", byName["HOME"]);
        Assert.Equal("/usr/local/bin:/usr/bin:/bin", byName["PATH"]);
        Assert.Equal("0b7c", byName["CONNECT_CONTENT_GUID"]);
        Assert.Equal("content-7", byName["USER"]);
    }

    [Fact]
    public void A_root_node_drops_to_the_items_own_uid_with_no_capabilities_left()
    {
        var args = Sandbox().Arguments(SandboxView.Empty with { SocketFolder = "/run/connect/1-a/sockets/w1" }, new RunAsAccount("content-7", 1800000007, 1800000007), outbound: true);
        var text = string.Join(' ', args);
        var command = string.Join(' ', args.SkipWhile(a => a != "--").Skip(1));

        Assert.StartsWith(ContentSandbox.Setpriv, command);
        Assert.Contains("--reuid=1800000007 --regid=1800000007", command);
        Assert.DoesNotContain("--unshare-net", text); // the node made its network namespace
        Assert.Contains($"--bind /run/connect/1-a/sockets/w1 {WorkerSocket.InsideFolder}", text);
        Assert.Contains("--clear-groups --inh-caps=-all --bounding-set=-all", command);
        Assert.DoesNotContain("--reuid=0", command);
    }
}

/// <summary>Applications.RunAsRange: one uid per item, never one outside the range.</summary>
public sealed class UidRangeTests
{
    [Fact]
    public void Each_item_gets_the_first_id_plus_its_own_and_none_past_the_last()
    {
        Assert.True(UidRange.TryParse("1800000000-1800000999", out var range, out _));

        Assert.Equal(1800000007, range!.UidOf(7));
        Assert.NotEqual(range.UidOf(7), range.UidOf(8));
        Assert.Null(range.UidOf(1000));
    }

    [Theory]
    [InlineData("none", true)]
    [InlineData("100-5000", false)] // system and login accounts
    [InlineData("1800000000-1800000010", false)] // too few
    [InlineData("1800000000", false)]
    [InlineData("4294967290-4294967295", false)]
    public void Only_a_range_clear_of_real_accounts_or_none_is_taken(string text, bool valid) =>
        Assert.Equal(valid, UidRange.TryParse(text, out _, out _));
}
