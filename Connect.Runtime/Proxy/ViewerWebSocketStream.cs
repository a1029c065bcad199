namespace Connect.Runtime.Proxy;

/// <summary>
/// The viewer's side of a proxied WebSocket. Reads pass through; writes (the worker's frames) pass through
/// while their frame boundaries are followed, so a close frame of the node's own can be put between two of
/// the worker's frames. Once it is sent, the worker's further frames are dropped, as the protocol wants
/// nothing after a close. Reads are followed too: httpuv drops the connection when a viewer closes instead of
/// answering the close, so when the tunnel ends the node answers it, and the viewer's close completes cleanly.
/// </summary>
internal sealed class ViewerWebSocketStream(Stream inner) : Stream
{
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly WebSocketFrameBoundary _frames = new();
    private readonly WebSocketFrameBoundary _viewerFrames = new();
    private readonly TaskCompletionSource _closeSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _pendingClose;
    private int _finished;
    private bool _closed;

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        _viewerFrames.Advance(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        _viewerFrames.Advance(buffer.AsSpan(offset, read));
        return read;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            if (_closed)
            {
                return;
            }

            await inner.WriteAsync(buffer, cancellationToken);
            _frames.Advance(buffer.Span);
            if (_pendingClose is not null && _frames.AtBoundary)
            {
                await SendCloseAsync(cancellationToken);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    /// <summary>
    /// Sends a close frame now if no frame of the worker's is half written, or else right after the frame in
    /// progress ends; waits until it is sent or <paramref name="cancellationToken"/> gives up.
    /// </summary>
    public async Task CloseAsync(ushort status, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await _writing.WaitAsync(cancellationToken);
            try
            {
                if (_closed)
                {
                    return;
                }

                _pendingClose = WebSocketFrameBoundary.CloseFrame(status, reason);
                if (_frames.AtBoundary)
                {
                    await SendCloseAsync(cancellationToken);
                }
            }
            finally
            {
                _writing.Release();
            }

            await _closeSent.Task.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The viewer went away, or the worker never finished its frame: the connection is cut instead.
        }
    }

    /// <summary>
    /// The tunnel has ended: if the viewer closed and the worker went without answering, answers the viewer's
    /// close with its own status (as RFC 6455 §5.5.1 has an endpoint do), so the viewer's close handshake completes.
    /// </summary>
    public async Task FinishAsync()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 1 || !await _writing.WaitAsync(TimeSpan.FromSeconds(5)))
        {
            return;
        }

        try
        {
            if (_closed || _viewerFrames.CloseStatus is not { } status || _frames.CloseStatus is not null || !_frames.AtBoundary)
            {
                return;
            }

            _pendingClose = WebSocketFrameBoundary.CloseFrame(status, "");
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await SendCloseAsync(deadline.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The viewer is gone too.
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task SendCloseAsync(CancellationToken cancellationToken)
    {
        _closed = true;
        await inner.WriteAsync(_pendingClose!, cancellationToken);
        await inner.FlushAsync(cancellationToken);
        _closeSent.TrySetResult();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            FinishAsync().GetAwaiter().GetResult();
            inner.Dispose();
            _writing.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await FinishAsync();
        await inner.DisposeAsync();
        _writing.Dispose();
        await base.DisposeAsync();
    }
}
