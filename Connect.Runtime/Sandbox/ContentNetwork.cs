using System.Text;
using CliWrap;
using CliWrap.Buffered;

namespace Connect.Runtime.Sandbox;

/// <summary>
/// The network namespace of one sandboxed R process (<c>Applications.Network = outbound</c>): a named namespace with its
/// own loopback and a <c>tap0</c> that slirp4netns connects to the outside through the node's own network stack, with
/// the host's loopback cut off (<c>--disable-host-loopback</c>) and a <c>prohibit</c> route for each of the host's own
/// addresses. Content can open connections out; nothing on the host itself (the node, the console, PostgreSQL,
/// /metrics, on loopback or any other of its addresses) can be reached from it, and no other worker listens on
/// anything it could reach (workers listen on Unix sockets). slirp4netns runs with its seccomp filter, but not with
/// its own <c>--enable-sandbox</c>, whose mount namespace unmounted the namespace's file under <c>/run/netns</c> here.
/// slirp4netns dies with the node (<c>setpriv --pdeathsig</c>);
/// the namespaces of a node that was killed are removed when a node starts on the machine.
/// </summary>
internal sealed class ContentNetwork : IAsyncDisposable
{
    public const string Slirp = "/usr/bin/slirp4netns";
    private const string Ip = "/usr/sbin/ip";
    private static readonly string Prefix = $"connect-{Environment.ProcessId}-";
    private static int _counter;

    private readonly CancellationTokenSource _stop;
    private readonly Task<CommandResult> _slirp;

    private ContentNetwork(string name, Task<CommandResult> slirp, CancellationTokenSource stop)
    {
        Name = name;
        _slirp = slirp;
        _stop = stop;
    }

    /// <summary>The namespace's name under <c>/run/netns</c>.</summary>
    public string Name { get; }

    /// <summary>What runs the sandbox inside the namespace (nsenter execs bubblewrap: the pid stays the same).</summary>
    public IReadOnlyList<string> Enter => ["--net=/run/netns/" + Name, "--"];

    public const string Nsenter = "/usr/bin/nsenter";

    /// <summary>Why outbound networks cannot be made on this node, or null.</summary>
    public static string? Problem() =>
        !RunAsAccount.NodeIsRoot ? "the node does not run as root, so it cannot make network namespaces"
        : !File.Exists(Slirp) ? $"slirp4netns ({Slirp}) is not installed; install the Debian package 'slirp4netns' (scripts/install-deps.sh does)"
        : !File.Exists(Ip) ? $"iproute2 ({Ip}) is not installed"
        : !File.Exists(Nsenter) ? $"nsenter ({Nsenter}) is not installed"
        : !File.Exists("/dev/net/tun") ? "/dev/net/tun is missing, so slirp4netns cannot connect a namespace (a container without the tun device?)"
        : null;

    /// <summary>Makes the namespace and waits until slirp4netns has configured it.</summary>
    public static async Task<ContentNetwork> CreateAsync(CancellationToken cancellationToken)
    {
        var name = Prefix + Interlocked.Increment(ref _counter);
        await IpAsync(cancellationToken, "netns", "add", name);
        try
        {
            await IpAsync(cancellationToken, "-n", name, "link", "set", "lo", "up");
            foreach (var address in HostAddresses())
            {
                // slirp4netns connects out from the host itself, so without this the host's own addresses (where the node,
                // the console or PostgreSQL may listen on every interface) would be one hop away. Content has no
                // capability in its namespace to take these routes out.
                await IpAsync(cancellationToken, "-n", name, "route", "add", "prohibit", address + "/32");
            }

            var output = new StringBuilder();
            var stop = new CancellationTokenSource();
            var slirp = await ForkThread.RunAsync(() => Cli.Wrap("/usr/bin/setpriv")
                .WithArguments(["--pdeathsig", "KILL", "--", Slirp, "--configure", "--mtu=65520", "--disable-host-loopback",
                    "--enable-seccomp", "--netns-type=path", "/run/netns/" + name, "tap0"])
                .WithStandardOutputPipe(PipeTarget.ToStringBuilder(output))
                .WithStandardErrorPipe(PipeTarget.ToStringBuilder(output))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(stop.Token).Task);
            var network = new ContentNetwork(name, slirp, stop);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!await network.ConfiguredAsync(cancellationToken))
            {
                if (slirp.IsCompleted || DateTime.UtcNow > deadline)
                {
                    await network.DisposeAsync();
                    throw new IOException($"slirp4netns did not connect the network namespace {name}: {output.ToString().Trim()}");
                }

                await Task.Delay(5, cancellationToken);
            }

            return network;
        }
        catch
        {
            await DeleteAsync(name);
            throw;
        }
    }

    /// <summary>The host's own IPv4 addresses other than loopback (which slirp4netns already keeps content away from).</summary>
    internal static IReadOnlyList<string> HostAddresses() =>
        System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a))
            .Select(a => a.ToString())
            .Distinct()
            .ToList();

    /// <summary>Removes the namespaces that node processes no longer running on this machine left behind.</summary>
    public static async Task SweepAsync(CancellationToken cancellationToken)
    {
        var listed = await Cli.Wrap(Ip).WithArguments(["netns", "list"]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        foreach (var name in listed.StandardOutput.Split('\n').Select(l => l.Split(' ')[0]).Where(n => n.StartsWith("connect-", StringComparison.Ordinal)))
        {
            if (int.TryParse(name.Split('-')[1], out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                await DeleteAsync(name);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _slirp;
        }
        catch (OperationCanceledException)
        {
        }

        await DeleteAsync(Name);
        _stop.Dispose();
    }

    private async Task<bool> ConfiguredAsync(CancellationToken cancellationToken)
    {
        var shown = await Cli.Wrap(Ip).WithArguments(["-n", Name, "-o", "-4", "addr", "show", "dev", "tap0"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        return shown.StandardOutput.Contains(" inet ", StringComparison.Ordinal);
    }

    private static async Task DeleteAsync(string name) =>
        await Cli.Wrap(Ip).WithArguments(["netns", "delete", name]).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(CancellationToken.None);

    private static async Task IpAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var result = await Cli.Wrap(Ip).WithArguments(arguments).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new IOException($"ip {string.Join(' ', arguments)} failed: {result.StandardError.Trim()}");
        }
    }
}
