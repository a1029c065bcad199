using Connect.Testing;

namespace Connect.E2E.Infrastructure;

/// <summary>
/// A network namespace of the test's own, joined to the host by a veth pair, with a real HTTP server (Python's) on the
/// namespace's address: somewhere "outside" that content may fetch from, without the test sending anything to any
/// address but loopback and the namespace it made.
/// </summary>
public sealed class TestNetwork : DaemonProcess
{
    private readonly string _name;
    private readonly string _hostLink;

    private TestNetwork(string name, string hostLink, string address, int port, string folder)
        : base("/usr/sbin/ip", ["netns", "exec", name, "python3", "-m", "http.server", port.ToString(), "--bind", address, "--directory", folder])
    {
        _name = name;
        _hostLink = hostLink;
        Url = $"http://{address}:{port}/";
    }

    /// <summary>The server's address, serving <c>answer.txt</c>.</summary>
    public string Url { get; }

    public static async Task<TestNetwork> StartAsync(TempDirectory temp, string answer)
    {
        var id = Random.Shared.Next(10, 250);
        var name = $"connect-test-{Environment.ProcessId}-{id}";
        var (hostLink, outsideLink) = ($"ctv{id}h", $"ctv{id}o");
        var (hostAddress, address) = ($"10.213.{id}.1", $"10.213.{id}.2");
        foreach (var command in new[]
        {
            $"netns add {name}", $"link add {hostLink} type veth peer name {outsideLink}", $"link set {outsideLink} netns {name}",
            $"addr add {hostAddress}/30 dev {hostLink}", $"link set {hostLink} up",
            $"-n {name} addr add {address}/30 dev {outsideLink}", $"-n {name} link set {outsideLink} up", $"-n {name} link set lo up",
        })
        {
            var (code, output) = await Run(command);
            if (code != 0)
            {
                throw new InvalidOperationException($"ip {command}: {output}");
            }
        }

        var folder = Directory.CreateDirectory(temp.File($"served-{id}")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "answer.txt"), answer);
        var network = new TestNetwork(name, hostLink, address, 8000 + id, folder);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Wait.UntilAsync(async () =>
        {
            network.ThrowIfExited("the test's HTTP server");
            return (await Run($"netns exec {name} python3 -c \"import urllib.request;urllib.request.urlopen('{network.Url}answer.txt')\"")).Code == 0;
        }, "the test's HTTP server in its namespace to answer");
        return network;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Run($"link del {_hostLink}");
        await Run($"netns del {_name}");
    }

    private static Task<(int Code, string Output)> Run(string arguments) => HostCommand.RunAsync("/bin/sh", "-c", "/usr/sbin/ip " + arguments);
}
