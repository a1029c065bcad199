using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Connect.Runtime.Proxy;

/// <summary>
/// The node's connections to its R workers, kept alive and reused. httpuv (Shiny, Plumber) writes an answer in
/// several small segments with Nagle on, so the last one waits for our ACK; Linux delays that ACK by ~40 ms,
/// which made a kept-alive connection 20 times slower than a fresh one. Every read here first re-arms
/// <c>TCP_QUICKACK</c> (the kernel drops it again after reads), so the node acknowledges at once and a kept-alive
/// worker answers in about a millisecond: faster than a new connection per request, and faster than a client
/// talking to the worker directly. The same holds for WebSockets, which are upgraded on these connections.
/// A kept-alive connection the worker closed as a request went out is the handler's to deal with: it sends a
/// request without a body (a GET) again once on a new connection, and never one with a body (a POST), which the
/// worker may have acted on; <c>WorkerConnectionsTests</c> holds it to that.
/// </summary>
internal static class WorkerConnections
{
    /// <summary>Connections kept per worker (one worker listens on one port): enough for its busiest moments.</summary>
    public const int PerWorker = 64;

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
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new QuickAckStream(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A socket stream that asks the kernel to acknowledge at once before every read.</summary>
    private sealed class QuickAckStream(Socket socket) : NetworkStream(socket, ownsSocket: true)
    {
        private const int IpProtoTcp = 6;
        private const int TcpQuickAck = 12;
        private static readonly byte[] On = BitConverter.GetBytes(1);

        public override int Read(Span<byte> buffer)
        {
            QuickAck();
            return base.Read(buffer);
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            QuickAck();
            return base.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            QuickAck();
            return base.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            QuickAck();
            return base.ReadAsync(buffer, offset, count, cancellationToken);
        }

        private void QuickAck()
        {
            try
            {
                Socket.SetRawSocketOption(IpProtoTcp, TcpQuickAck, On);
            }
            catch (SocketException)
            {
                // The connection is already gone; the read reports that.
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
