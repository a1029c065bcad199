using System.Net;
using System.Net.Sockets;
using System.Text;
using Connect.Runtime.Proxy;

namespace Connect.Runtime.Tests.Proxy;

/// <summary>
/// The node's client for worker connections, against a stand-in worker that answers its first request on a kept-alive
/// connection and then, like a worker going away, closes the connection on the next one without answering.
/// </summary>
public sealed class WorkerConnectionsTests : IAsyncDisposable
{
    private readonly ClosingWorker _worker = new();
    private readonly HttpMessageInvoker _client = new(WorkerConnections.CreateHandler());

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _worker.DisposeAsync();
    }

    [Fact]
    public async Task A_get_on_a_connection_the_worker_closed_is_sent_again_once_on_a_new_one()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get)).StatusCode);

        var second = await SendAsync(HttpMethod.Get);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("answer 3", await second.Content.ReadAsStringAsync());
        Assert.Equal(3, _worker.RequestsSeen);
    }

    [Fact]
    public async Task A_post_on_a_connection_the_worker_closed_is_never_sent_again()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post)).StatusCode);

        await Assert.ThrowsAsync<HttpRequestException>(() => SendAsync(HttpMethod.Post));

        Assert.Equal(2, _worker.RequestsSeen);
    }

    [Fact]
    public async Task A_socket_answered_by_another_uid_than_the_workers_is_refused()
    {
        var worker = new WorkerEndpoint("t2", _worker.SocketPath, Uid: 1800000042); // this test process is not that uid
        var request = new HttpRequestMessage(HttpMethod.Get, $"{worker.Prefix}/x");
        request.Options.Set(WorkerConnections.WorkerOption, worker);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => _client.SendAsync(request, CancellationToken.None));

        Assert.Contains("not by the item's uid 1800000042", refused.ToString());
        Assert.Equal(0, _worker.RequestsSeen);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method)
    {
        var worker = new WorkerEndpoint("t1", _worker.SocketPath, Uid: null);
        var request = new HttpRequestMessage(method, $"{worker.Prefix}/x");
        request.Options.Set(WorkerConnections.WorkerOption, worker);
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("order=1");
        }

        return _client.SendAsync(request, CancellationToken.None);
    }

    /// <summary>Answers request 1 and 3 and later; reads request 2 and closes its connection without a word.</summary>
    private sealed class ClosingWorker : IAsyncDisposable
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("connect-worker-").FullName;
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private int _requests;

        public ClosingWorker()
        {
            _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
            _listener.Listen();
            _accepting = AcceptAsync();
        }

        public string SocketPath => Path.Combine(_folder, "http.sock");

        public int RequestsSeen => Volatile.Read(ref _requests);

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                _ = ServeAsync(socket);
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var _ = socket;
            using var stream = new NetworkStream(socket);
            var buffer = new byte[8192];
            var pending = "";
            while (true)
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }

                pending += Encoding.ASCII.GetString(buffer, 0, read);
                var end = pending.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end < 0)
                {
                    continue;
                }

                var length = pending.Split("\r\n").FirstOrDefault(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } header
                    ? int.Parse(header["Content-Length:".Length..].Trim())
                    : 0;
                if (pending.Length < end + 4 + length)
                {
                    continue;
                }

                pending = pending[(end + 4 + length)..];
                var number = Interlocked.Increment(ref _requests);
                if (number == 2)
                {
                    socket.Close();
                    return;
                }

                var body = $"answer {number}";
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}"), _stop.Token);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Dispose();
            await _accepting;
            Directory.Delete(_folder, recursive: true);
        }
    }
}
