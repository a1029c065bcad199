namespace Connect.Runtime.Proxy;

/// <summary>
/// The viewer's side of a proxied WebSocket. Reads pass through; writes (the worker's frames) pass through
/// while their frame boundaries are followed, so a close frame of the node's own can be put between two of
/// the worker's frames. Once it is sent, the worker's further frames are dropped, as the protocol wants
/// nothing after a close.
/// </summary>
internal sealed class ViewerWebSocketStream(Stream inner) : Stream
{
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly WebSocketFrameBoundary _frames = new();
    private readonly TaskCompletionSource _closeSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private byte[]? _pendingClose;
    private bool _closed;

    public override bool CanRead => inner.CanRead;

    public override bool CanWrite => inner.CanWrite;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

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
            inner.Dispose();
            _writing.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        _writing.Dispose();
        await base.DisposeAsync();
    }
}
