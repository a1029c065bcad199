using CliWrap;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;

namespace Connect.Runtime.Sandbox;

/// <summary>What one R process may see of the data directory, and where it starts.</summary>
/// <param name="ReadOnly">Folders visible read-only (the content's bundle).</param>
/// <param name="Writable">Folders it may write (its own home, a render's output); given to the RunAs user.</param>
/// <param name="Home">Its <c>HOME</c>: a writable folder of its own, or the private <c>/tmp</c>.</param>
internal sealed record SandboxView(string WorkingDirectory, IReadOnlyList<string> ReadOnly, IReadOnlyList<string> Writable, string Home)
{
    /// <summary>For R processes that belong to no content (listing installed packages).</summary>
    public static SandboxView Empty { get; } = new("/tmp", [], [], "/tmp");
}

/// <summary>
/// Runs every R process (workers, renders, package checks) inside bubblewrap: the whole file system
/// read-only, the data directory, the database folder and the configuration file hidden except the
/// folders the process is given, a private <c>/tmp</c>, its own PID namespace (so <c>/proc</c> shows no
/// node), <c>--die-with-parent</c> (a node killed with SIGKILL takes its R processes with it; see ForkThread), and as
/// the unprivileged <c>Applications.RunAs</c> user with no capabilities. The environment is built from
/// nothing: the node's own variables (database password included) never reach content.
/// </summary>
internal sealed partial class ContentSandbox
{
    public const string Bubblewrap = "/usr/bin/bwrap";
    public const string Setpriv = "/usr/bin/setpriv";

    private readonly ConnectOptions _options;
    private readonly NodeIdentity _node;
    private readonly IReadOnlyList<string> _hidden;
    private readonly string? _hiddenFile;

    public ContentSandbox(ConnectOptions options, NodeIdentity node, ILogger<ContentSandbox> logger)
    {
        _options = options;
        _node = node;
        (Account, var problem) = RunAsAccount.Find(options.Applications.RunAs);
        // A node that is not root runs content as itself, so only a root node needs the RunAs user.
        Problem = (RunAsAccount.NodeIsRoot ? problem : null)
            ?? (File.Exists(Bubblewrap) ? null : $"bubblewrap ({Bubblewrap}) is not installed; install the Debian package 'bubblewrap' (scripts/install-deps.sh does)");

        // Folders holding what content must never read; nested ones are covered by their parent.
        var hidden = new[] { options.DataDir, options.DatabaseDir, options.MetricsDataPath }.Select(Path.GetFullPath).Distinct().ToList();
        _hidden = hidden.Where(h => !hidden.Any(other => other != h && IsUnder(h, other))).ToList();
        _hiddenFile = ConfigurationLoader.FindConfigPath(Environment.GetCommandLineArgs(), Environment.GetEnvironmentVariables()) is { } config && File.Exists(config)
            ? Path.GetFullPath(config)
            : null;

        if (Problem is not null)
        {
            LogUnusable(logger, Problem);
        }
        else if (!RunAsAccount.NodeIsRoot)
        {
            LogNotRoot(logger, Environment.UserName, options.Applications.RunAs);
        }
        else
        {
            LogReady(logger, Account!.Name, Account.Uid);
        }
    }

    /// <summary>The RunAs user, when it exists.</summary>
    public RunAsAccount? Account { get; }

    /// <summary>Why no R process can run on this node (no bubblewrap, no RunAs user), or null.</summary>
    public string? Problem { get; }

    /// <summary>The user R processes run as, for messages.</summary>
    public string UserName => RunAsAccount.NodeIsRoot ? Account?.Name ?? "?" : Environment.UserName;

    /// <summary>
    /// The CliWrap command that runs <paramref name="executable"/> in the sandbox, with only the
    /// documented variables plus <paramref name="contentEnvironment"/>.
    /// </summary>
    public Command Wrap(string executable, IReadOnlyList<string> arguments, SandboxView view, string? contentGuid, IReadOnlyDictionary<string, string> contentEnvironment)
    {
        if (Problem is not null)
        {
            throw new InvalidOperationException(Problem);
        }

        foreach (var folder in view.Writable)
        {
            MakeWritable(folder);
        }

        return Cli.Wrap(Bubblewrap)
            .WithArguments([.. Arguments(view), executable, .. arguments])
            .WithWorkingDirectory("/")
            .WithEnvironmentVariables(e =>
            {
                foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
                {
                    e.Set(name, null);
                }

                foreach (var (name, value) in Variables(view, contentGuid, contentEnvironment))
                {
                    e.Set(name, value);
                }
            })
            .WithValidation(CommandResultValidation.None);
    }

    /// <summary>bubblewrap's arguments up to the command it runs.</summary>
    internal IReadOnlyList<string> Arguments(SandboxView view)
    {
        var args = new List<string>
        {
            "--ro-bind", "/", "/",
            "--dev", "/dev",
            "--proc", "/proc",
            "--perms", "1777", "--tmpfs", "/tmp",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session",
        };

        var tmpfs = new List<string> { "/tmp" };
        foreach (var hidden in _hidden)
        {
            AddParents(args, tmpfs, hidden);
            args.AddRange(["--perms", "0755", "--tmpfs", hidden]);
            tmpfs.Add(hidden);
        }

        if (_hiddenFile is not null)
        {
            args.AddRange(["--ro-bind", "/dev/null", _hiddenFile]);
        }

        foreach (var folder in view.ReadOnly)
        {
            AddParents(args, tmpfs, folder);
            args.AddRange(["--ro-bind", folder, folder]);
        }

        foreach (var folder in view.Writable)
        {
            AddParents(args, tmpfs, folder);
            args.AddRange(["--bind", folder, folder]);
        }

        args.AddRange(["--chdir", view.WorkingDirectory]);
        if (RunAsAccount.NodeIsRoot)
        {
            // bubblewrap drops every capability of a root caller; keep only what setpriv needs to become
            // the RunAs user, which then drops those too (and the bounding set, so nothing can come back).
            args.AddRange(["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--", Setpriv,
                $"--reuid={Account!.Uid}", $"--regid={Account.Gid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]);
        }
        else
        {
            args.AddRange(["--unshare-user", "--"]);
        }

        return args;
    }

    /// <summary>A folder the process may write, made if missing and owned by the RunAs user.</summary>
    public void MakeWritable(string folder)
    {
        Directory.CreateDirectory(folder);
        Account?.Own(folder);
    }

    /// <summary>
    /// The environment of a process in <paramref name="view"/>: the content's variables, then the sandbox's own, which
    /// win over a content variable of the same name (a publisher cannot move <c>HOME</c>, <c>PATH</c> or the GUID).
    /// </summary>
    internal IReadOnlyList<KeyValuePair<string, string>> Variables(SandboxView view, string? contentGuid, IReadOnlyDictionary<string, string> contentEnvironment)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in AllVariables(view, contentGuid, contentEnvironment))
        {
            variables[name] = value;
        }

        return [.. variables];
    }

    private IEnumerable<KeyValuePair<string, string>> AllVariables(SandboxView view, string? contentGuid, IReadOnlyDictionary<string, string> contentEnvironment)
    {
        foreach (var variable in contentEnvironment)
        {
            yield return variable;
        }

        yield return new("PATH", "/usr/local/bin:/usr/bin:/bin");
        yield return new("HOME", view.Home);
        yield return new("USER", UserName);
        yield return new("LOGNAME", UserName);
        yield return new("TMPDIR", "/tmp");
        yield return new("LANG", Environment.GetEnvironmentVariable("LANG") is { Length: > 0 } lang && lang.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '@') ? lang : "C.UTF-8");
        yield return new("R_CONFIG_ACTIVE", "rsconnect");
        yield return new("CONNECT_SERVER", _options.Server.Address ?? _node.Url);
        if (contentGuid is not null)
        {
            yield return new("CONNECT_CONTENT_GUID", contentGuid);
        }
    }

    /// <summary>Mount points inside a tmpfs need their parents made, readable by the RunAs user.</summary>
    private static void AddParents(List<string> args, List<string> tmpfs, string path)
    {
        var root = tmpfs.Where(t => IsUnder(path, t) && t != path).OrderByDescending(t => t.Length).FirstOrDefault();
        if (root is null)
        {
            return;
        }

        var parents = new Stack<string>();
        for (var dir = Path.GetDirectoryName(path); dir is not null && dir.Length > root.Length; dir = Path.GetDirectoryName(dir))
        {
            parents.Push(dir);
        }

        foreach (var dir in parents)
        {
            args.AddRange(["--perms", "0755", "--dir", dir]);
        }
    }

    private static bool IsUnder(string path, string folder) =>
        path == folder || path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    [LoggerMessage(EventId = 700, Level = LogLevel.Critical, Message = "R content cannot run on this node: {Problem}")]
    private static partial void LogUnusable(ILogger logger, string problem);

    [LoggerMessage(EventId = 701, Level = LogLevel.Critical, Message = "This node runs as '{User}', not root: it cannot switch to Applications.RunAs ({RunAs}), so R content runs as '{User}' itself (still inside the sandbox, which needs unprivileged user namespaces). Run the node as root to give content a user of its own.")]
    private static partial void LogNotRoot(ILogger logger, string user, string runAs);

    [LoggerMessage(EventId = 702, Level = LogLevel.Information, Message = "R content runs sandboxed as {User} (uid {Uid})")]
    private static partial void LogReady(ILogger logger, string user, int uid);
}
