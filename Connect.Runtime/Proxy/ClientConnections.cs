using System.Security.Claims;
using Connect.Shared.Security;

namespace Connect.Runtime.Proxy;

/// <summary>
/// <c>Scheduler.MaxConnsPerClient</c>: the WebSockets one client may hold open to one item on this node. Every socket
/// takes a place among the item's MaxProcesses × MaxConnsPerProcess, so without this one anonymous client opening idle
/// sockets shuts everyone else out of a public app. A client is a signed-in user, else an address (the real client's,
/// when a trusted load balancer says so; viewers behind one NAT share theirs).
/// </summary>
internal sealed class ClientConnections(Shared.Configuration.ConnectOptions options)
{
    private readonly Dictionary<(string Content, string Client), int> _open = [];

    public int Limit => options.Scheduler.MaxConnsPerClient;

    /// <summary>A place for one more socket of this client to this item, released when disposed; null when it holds its limit.</summary>
    public IDisposable? TryEnter(string contentGuid, HttpContext context)
    {
        var key = (contentGuid, ClientOf(context));
        lock (_open)
        {
            var open = _open.GetValueOrDefault(key);
            if (open >= Limit)
            {
                return null;
            }

            _open[key] = open + 1;
        }

        return new Place(this, key);
    }

    private static string ClientOf(HttpContext context) =>
        context.User.FindFirstValue(Sessions.UserIdClaim) is { } user ? "user:" + user : "address:" + context.Connection.RemoteIpAddress;

    private void Leave((string, string) key)
    {
        lock (_open)
        {
            if (--_open[key] == 0)
            {
                _open.Remove(key);
            }
        }
    }

    private sealed class Place(ClientConnections owner, (string, string) key) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                owner.Leave(key);
            }
        }
    }
}
