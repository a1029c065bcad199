using CliWrap;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Files;

namespace Connect.Runtime.Sandbox;

/// <summary>
/// Runs every R process (workers, renders, package checks) inside bubblewrap: the whole file system
/// read-only, the data directory, the database folder and the configuration file hidden except the
/// folders the process is given, a private <c>/tmp</c>, its own PID namespace (so <c>/proc</c> shows no
/// node), a network namespace of its own (<see cref="ContentNetwork"/>; never the host's loopback),
/// <c>--die-with-parent</c> (a node killed with SIGKILL takes its R processes with it; see ForkThread), and as the
/// item's own uid (<c>Applications.RunAsRange</c>) or the <c>Applications.RunAs</c> user, with no capabilities. The
/// environment is built from nothing: the node's own variables (database password included) never reach content.
/// </summary>
internal sealed partial class ContentSandbox
{
    public const string Bubblewrap = "/usr/bin/bwrap";
    public const string Setpriv = "/usr/bin/setpriv";

    private readonly ConnectOptions _options;
    private readonly NodeIdentity _node;
    private readonly IReadOnlyList<string> _hidden;
    private readonly IReadOnlyList<string> _hiddenFiles;
    private readonly UidRange? _range;
    private readonly string? _networkProblem;
    private readonly ILogger<ContentSandbox> _logger;
    private readonly Lazy<NodeRuntimeFolder>? _runtime;

    public ContentSandbox(ConnectOptions options, NodeIdentity node, ILogger<ContentSandbox> logger, Lazy<NodeRuntimeFolder>? runtime = null)
    {
        _runtime = runtime;
        _options = options;
        _node = node;
        _logger = logger;
        _range = UidRange.From(options.Applications);
        Limits = new ResourceLimits(options.Scheduler);
        (Account, var problem) = RunAsAccount.Find(options.Applications.RunAs);
        // A node that is not root runs content as itself, so only a root node needs the RunAs user.
        Problem = (RunAsAccount.NodeIsRoot ? problem : null)
            ?? (File.Exists(Bubblewrap) ? null : $"bubblewrap ({Bubblewrap}) is not installed; install the Debian package 'bubblewrap' (scripts/install-deps.sh does)");

        // Folders holding what content must never read; nested ones are covered by their parent.
        var hidden = new[] { options.DataDir, options.DatabaseDir, options.MetricsDataPath }.Select(Path.GetFullPath).Distinct().ToList();
        _hidden = hidden.Where(h => !hidden.Any(other => other != h && IsUnder(h, other))).ToList();
        // The configuration (the database password) and the secret key file (the key ring's key) are covered with /dev/null.
        _hiddenFiles = new[] { ConfigurationLoader.FindConfigPath(Environment.GetCommandLineArgs(), Environment.GetEnvironmentVariables()), options.SecretKeyPath }
            .Where(f => f is not null && File.Exists(f)).Select(f => Path.GetFullPath(f!)).Distinct().ToList();

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
            LogReady(logger, _range is null ? $"{Account!.Name} (uid {Account.Uid})" : $"each item's own uid from {_range.First}-{_range.Last}", Limits.Describe());
            Limits.SweepDead();
        }

        if (options.Applications.Network == ContentNetworkMode.Outbound && ContentNetwork.Problem() is { } networkProblem)
        {
            _networkProblem = networkProblem;
            LogNoOutbound(logger, networkProblem);
        }
    }

    /// <summary>Memory and process-count limits of every R process.</summary>
    public ResourceLimits Limits { get; }

    /// <summary>Whether R processes get outbound connections (else a namespace with only its own loopback).</summary>
    public bool Outbound => _options.Applications.Network == ContentNetworkMode.Outbound && _networkProblem is null;

    /// <summary>
    /// The user an item's R processes run as: the system user an administrator set as its <c>run_as</c>, else its own
    /// uid from <c>Applications.RunAsRange</c>, else the RunAs user; null on a node that is not root (content runs as the
    /// node's user).
    /// </summary>
    /// <exception cref="InvalidOperationException">Its <c>run_as</c> user does not exist here, or the range is used up.</exception>
    public RunAsAccount? UserFor(ContentItem content)
    {
        if (!RunAsAccount.NodeIsRoot)
        {
            return null;
        }

        if (content.RunAs is { } runAs)
        {
            var (account, problem) = RunAsAccount.Find(runAs);
            return account ?? throw new InvalidOperationException($"run_as of this item: {problem}");
        }

        if (_range is null)
        {
            return Account;
        }

        var uid = _range.UidOf(content.Id)
            ?? throw new InvalidOperationException($"Applications.RunAsRange ({_range.First}-{_range.Last}) has no uid left for item {content.Id}; widen it");
        return new RunAsAccount($"content-{content.Id}", uid, uid);
    }

    /// <summary>The RunAs user, when it exists.</summary>
    public RunAsAccount? Account { get; }

    /// <summary>Why no R process can run on this node (no bubblewrap, no RunAs user), or null.</summary>
    public string? Problem { get; }

    /// <summary>The user R processes run as, for messages.</summary>
    public string UserName => RunAsAccount.NodeIsRoot ? Account?.Name ?? "?" : Environment.UserName;

    /// <summary>
    /// The CliWrap command that runs <paramref name="executable"/> in the sandbox as <paramref name="user"/> (null: the
    /// RunAs user), with only the documented variables plus <paramref name="contentEnvironment"/>, and its network: the
    /// caller disposes of the result once the process has ended.
    /// </summary>
    public async Task<SandboxedCommand> PrepareAsync(string executable, IReadOnlyList<string> arguments, SandboxView view, RunAsAccount? user,
        string? contentGuid, IReadOnlyDictionary<string, string> contentEnvironment, CancellationToken cancellationToken, bool network = true, long? memoryLimit = null)
    {
        if (Problem is not null)
        {
            throw new InvalidOperationException(Problem);
        }

        user ??= RunAsAccount.NodeIsRoot ? Account : null;
        foreach (var folder in view.Writable)
        {
            MakeWritable(folder, user);
        }

        var limits = Limits.Create(memoryLimit ?? _options.Scheduler.MemoryLimit.Bytes, _options.Scheduler.ProcessLimit);
        var namespaced = Outbound && network ? await TryNetworkAsync(cancellationToken) : null;
        // limits (joined first, so all that follows is inside them) > network namespace > bubblewrap > the R process
        IReadOnlyList<string> enter = namespaced is null ? [] : [ContentNetwork.Nsenter, .. namespaced.Enter];
        IReadOnlyList<string> line = [.. limits.Prefix, .. enter, Bubblewrap, .. Arguments(view, user, namespaced is not null), executable, .. arguments];
        var command = Cli.Wrap(line[0])
            .WithArguments(line.Skip(1))
            .WithWorkingDirectory("/")
            .WithEnvironmentVariables(e =>
            {
                foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>())
                {
                    e.Set(name, null);
                }

                foreach (var (name, value) in Variables(view, user, contentGuid, contentEnvironment))
                {
                    e.Set(name, value);
                }
            })
            .WithValidation(CommandResultValidation.None);
        return new SandboxedCommand(command, namespaced, limits);
    }

    /// <summary>bubblewrap's arguments up to the command it runs.</summary>
    internal IReadOnlyList<string> Arguments(SandboxView view, RunAsAccount? user, bool outbound)
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

        // Without a namespace of the node's making, bubblewrap makes one with nothing in it but its own loopback.
        if (!outbound)
        {
            args.Add("--unshare-net");
        }
        else if (ResolvConf is { } resolv)
        {
            args.AddRange(["--ro-bind", resolv, "/etc/resolv.conf"]); // slirp4netns's resolver: the host's may be on its loopback
        }

        var tmpfs = new List<string> { "/tmp" };
        foreach (var hidden in _hidden)
        {
            AddParents(args, tmpfs, hidden);
            args.AddRange(["--perms", "0755", "--tmpfs", hidden]);
            tmpfs.Add(hidden);
        }

        foreach (var file in _hiddenFiles)
        {
            args.AddRange(["--ro-bind", "/dev/null", file]);
        }

        foreach (var folder in view.ReadOnly.Concat(view.Library ?? []).Distinct())
        {
            AddParents(args, tmpfs, folder);
            args.AddRange(["--ro-bind", folder, folder]);
        }

        foreach (var folder in view.Writable)
        {
            AddParents(args, tmpfs, folder);
            args.AddRange(["--bind", folder, folder]);
        }

        foreach (var (host, inside) in view.ReadOnlyAt ?? [])
        {
            args.AddRange(["--ro-bind", host, inside]);
        }

        if (view.SocketFolder is { } sockets)
        {
            args.AddRange(["--bind", sockets, WorkerSocket.InsideFolder]);
        }

        args.AddRange(["--chdir", view.WorkingDirectory]);
        if (RunAsAccount.NodeIsRoot && user is not null)
        {
            // bubblewrap drops every capability of a root caller; keep only what setpriv needs to become
            // the RunAs user, which then drops those too (and the bounding set, so nothing can come back).
            args.AddRange(["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--", Setpriv,
                $"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--"]);
        }
        else
        {
            args.AddRange(["--unshare-user", "--"]);
        }

        return args;
    }

    /// <summary>
    /// A network namespace with outbound connections, or null (and a warning) when one cannot be made right now: the
    /// process then runs with no network at all rather than not at all, never with the host's.
    /// </summary>
    private async Task<ContentNetwork?> TryNetworkAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ContentNetwork.CreateAsync(cancellationToken);
        }
        catch (IOException e)
        {
            LogNoNetworkNow(_logger, e.Message);
            return null;
        }
    }

    /// <summary>
    /// A folder the process may write, made if missing and owned by <paramref name="user"/>. One that another uid owns (an
    /// item's home from before items had uids of their own) is given over whole, by a walk that never follows a link.
    /// </summary>
    public static void MakeWritable(string folder, RunAsAccount? user)
    {
        Directory.CreateDirectory(folder);
        if (user is null || !RunAsAccount.NodeIsRoot)
        {
            return;
        }

        if (NoFollowTree.Describe(folder) is { } owner && owner.Uid != user.Uid)
        {
            NoFollowTree.Own(folder, user.Uid, user.Gid);
        }
    }

    /// <summary>A resolver file naming slirp4netns's DNS forwarder, bound over the sandbox's <c>/etc/resolv.conf</c>.</summary>
    /// <remarks>Written in the node's own runtime folder (root's, 0700), never a shared place such as /tmp where another
    /// user could have put a link by that name first.</remarks>
    private string? ResolvConf =>
        _runtime is null || NoFollowTree.Describe("/etc/resolv.conf") is not { } described || (described.Mode & NoFollowTree.TypeMask) != NoFollowTree.RegularType
            ? null // a link (systemd-resolved): bubblewrap cannot bind over it; the host's file is used
            : _runtime.Value.ResolvConf;

    /// <summary>
    /// The environment of a process in <paramref name="view"/>: the content's variables, then the sandbox's own, which
    /// win over a content variable of the same name (a publisher cannot move <c>HOME</c>, <c>PATH</c> or the GUID).
    /// </summary>
    internal IReadOnlyList<KeyValuePair<string, string>> Variables(SandboxView view, RunAsAccount? user, string? contentGuid, IReadOnlyDictionary<string, string> contentEnvironment)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in AllVariables(view, user, contentGuid, contentEnvironment))
        {
            variables[name] = value;
        }

        return [.. variables];
    }

    private IEnumerable<KeyValuePair<string, string>> AllVariables(SandboxView view, RunAsAccount? user, string? contentGuid, IReadOnlyDictionary<string, string> contentEnvironment)
    {
        var userName = user?.Name ?? UserName;
        foreach (var variable in contentEnvironment)
        {
            yield return variable;
        }

        yield return new("PATH", "/usr/local/bin:/usr/bin:/bin");
        yield return new("HOME", view.Home);
        yield return new("USER", userName);
        yield return new("LOGNAME", userName);
        yield return new("TMPDIR", "/tmp");
        yield return new("LANG", Environment.GetEnvironmentVariable("LANG") is { Length: > 0 } lang && lang.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '@') ? lang : "C.UTF-8");
        yield return new("R_CONFIG_ACTIVE", "rsconnect");
        // The item's own library ahead of the system's, and nothing else: no user library in its writable HOME.
        yield return new("R_LIBS", string.Join(':', view.Library ?? []));
        yield return new("R_LIBS_USER", "/nonexistent/r-user-library");
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

    [LoggerMessage(EventId = 702, Level = LogLevel.Information, Message = "R content runs sandboxed as {User}, its memory and processes limited by {Limits}")]
    private static partial void LogReady(ILogger logger, string user, string limits);

    [LoggerMessage(EventId = 704, Level = LogLevel.Warning, Message = "An R process starts with no network (its outbound network could not be made): {Problem}")]
    private static partial void LogNoNetworkNow(ILogger logger, string problem);

    [LoggerMessage(EventId = 703, Level = LogLevel.Critical, Message = "Applications.Network = outbound, but R content gets no network on this node (only its own loopback): {Problem}")]
    private static partial void LogNoOutbound(ILogger logger, string problem);
}
