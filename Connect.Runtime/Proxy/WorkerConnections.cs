using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Connect.Runtime.Sandbox;

namespace Connect.Runtime.Proxy;

/// <summary>
/// The node's connections to its R workers, kept alive and reused, each over the worker's Unix socket
/// (<see cref="WorkerSocket"/>). The request names its worker (<see cref="WorkerOption"/>), and its URL's host is
/// the worker's id, so a pooled connection only ever serves the worker it was opened to. On a Unix socket there
/// is no Nagle and no delayed ACK: httpuv's answers in several small writes arrive at once.
/// A kept-alive connection the worker closed as a request went out is the handler's to deal with: it sends a
/// request without a body (a GET) again once on a new connection, and never one with a body (a POST), which the
/// worker may have acted on; <c>WorkerConnectionsTests</c> holds it to that.
/// </summary>
internal static class WorkerConnections
{
    /// <summary>Connections kept per worker: enough for its busiest moments.</summary>
    public const int PerWorker = 64;

    /// <summary>The worker a request to a worker goes to: its socket, and the uid that must answer on it.</summary>
    public static readonly HttpRequestOptionsKey<WorkerEndpoint> WorkerOption = new("connect.worker");

    public static SocketsHttpHandler CreateHandler() => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        EnableMultipleHttp2Connections = false,
        ActivityHeadersPropagator = null,
        SslOptions = new SslClientAuthenticationOptions(),
        MaxConnectionsPerServer = PerWorker,
        // A worker that stops keeps no connection of ours for long; an idle one is closed before httpuv might.
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectCallback = ConnectAsync,
    };

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (!context.InitialRequestMessage.Options.TryGetValue(WorkerOption, out var worker))
        {
            throw new InvalidOperationException("a request to a worker must name its worker");
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(worker.SocketPath), cancellationToken);
            var peer = PeerUid(socket);
            if (worker.Uid is { } uid && peer != uid)
            {
                // The worker's folder is its own: it could have put a link to another item's socket there.
                throw new IOException($"the socket of worker {worker.Id} is answered by uid {peer}, not by the item's uid {uid}");
            }

            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The uid of the process at the other end of a Unix socket (<c>SO_PEERCRED</c>: pid, uid, gid).</summary>
    internal static int PeerUid(Socket socket)
    {
        const int SolSocket = 1, SoPeerCred = 17;
        var credentials = new byte[12];
        socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials);
        return BitConverter.ToInt32(credentials, 4);
    }
}

/// <summary>Where a worker listens and who must answer there.</summary>
internal sealed record WorkerEndpoint(string Id, string SocketPath, int? Uid)
{
    public static WorkerEndpoint Of(Processes.Worker worker) => new(worker.Id, worker.SocketPath, worker.Uid);

    /// <summary>The URL prefix of requests to it: the host names the worker, so pooled connections are never shared between workers.</summary>
    public string Prefix => $"http://w{Id}";
}
