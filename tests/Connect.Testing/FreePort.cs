using System.Net;
using System.Net.Sockets;

namespace Connect.Testing;

public static class FreePort
{
    // Below Linux's ephemeral range (32768-60999): ports the kernel hands out for outgoing connections and for
    // binds to port 0 (R workers, other test processes' clients) never land here, so a port picked now is still
    // free when the node binds it a second later. Each test process starts at its own place and moves on.
    private const int First = 20000;
    private const int Count = 12000;
    private static int _next = Random.Shared.Next(Count);

    /// <summary>A loopback port nobody listens on right now, outside the ephemeral range.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException($"no free loopback port between {First} and {First + Count}");
    }
}
