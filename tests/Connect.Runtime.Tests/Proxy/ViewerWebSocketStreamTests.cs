using Connect.Runtime.Proxy;

namespace Connect.Runtime.Tests.Proxy;

public sealed class ViewerWebSocketStreamTests
{
    private static readonly byte[] Close = WebSocketFrameBoundary.CloseFrame(1012, "bye");

    /// <summary>An unmasked text frame with <paramref name="length"/> bytes of payload, using the header form the length needs.</summary>
    private static byte[] Frame(int length)
    {
        var header = length switch
        {
            < 126 => new byte[] { 0x81, (byte)length },
            <= ushort.MaxValue => [0x81, 126, (byte)(length >> 8), (byte)length],
            _ => [0x81, 127, 0, 0, 0, 0, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length],
        };
        return [.. header, .. new byte[length]];
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(70_000)]
    public void A_frame_written_a_byte_at_a_time_is_at_a_boundary_only_once_complete(int length)
    {
        var frame = Frame(length);
        var boundary = new WebSocketFrameBoundary();
        for (var i = 0; i < frame.Length; i++)
        {
            Assert.True(boundary.AtBoundary == (i == 0), $"boundary after {i} of {frame.Length} bytes");
            boundary.Advance(frame.AsSpan(i, 1));
        }

        Assert.True(boundary.AtBoundary);
    }

    [Fact]
    public void Several_frames_in_one_write_and_a_masked_frame_are_followed()
    {
        byte[] masked = [0x82, 0x80 | 3, 1, 2, 3, 4, 9, 9, 9];
        byte[] writes = [.. Frame(3), .. masked, .. Frame(200)];
        var boundary = new WebSocketFrameBoundary();

        boundary.Advance(writes.AsSpan(0, writes.Length - 1));
        Assert.False(boundary.AtBoundary);
        boundary.Advance(writes.AsSpan(writes.Length - 1));
        Assert.True(boundary.AtBoundary);
    }

    [Fact]
    public async Task A_close_asked_for_mid_frame_follows_the_frame_and_later_frames_are_dropped()
    {
        var viewer = new MemoryStream();
        using var stream = new ViewerWebSocketStream(viewer);
        var frame = Frame(10);
        await stream.WriteAsync(frame.AsMemory(0, 6));

        var closing = stream.CloseAsync(1012, "bye", new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token);
        Assert.False(closing.IsCompleted);
        Assert.Equal(6, viewer.Length);

        await stream.WriteAsync(frame.AsMemory(6));
        await closing;
        await stream.WriteAsync(Frame(4));

        Assert.Equal([.. frame, .. Close], viewer.ToArray());
    }

    [Fact]
    public async Task A_close_between_frames_is_sent_at_once()
    {
        var viewer = new MemoryStream();
        using var stream = new ViewerWebSocketStream(viewer);
        await stream.WriteAsync(Frame(3));

        await stream.CloseAsync(1012, "bye", CancellationToken.None);

        Assert.Equal([.. Frame(3), .. Close], viewer.ToArray());
    }

    [Fact]
    public async Task A_close_waits_no_longer_than_asked_for_a_frame_that_never_ends()
    {
        var viewer = new MemoryStream();
        using var stream = new ViewerWebSocketStream(viewer);
        await stream.WriteAsync(Frame(10).AsMemory(0, 4));

        await stream.CloseAsync(1012, "bye", new CancellationTokenSource(TimeSpan.FromMilliseconds(50)).Token);

        Assert.Equal(4, viewer.Length);
    }

    [Fact]
    public void The_close_frame_carries_its_status_and_reason()
    {
        Assert.Equal(new byte[] { 0x88, 5, 0x03, 0xF4, (byte)'b', (byte)'y', (byte)'e' }, Close);
        Assert.Throws<ArgumentException>(() => WebSocketFrameBoundary.CloseFrame(1000, new string('x', 124)));
    }

    /// <summary>A viewer's (masked) close frame with status 1001 and reason "x".</summary>
    private static readonly byte[] ViewerClose = Masked(0x88, [0x03, 0xE9, (byte)'x']);

    private static byte[] Masked(byte first, byte[] payload)
    {
        byte[] mask = [0x37, 0xFA, 0x21, 0x3D];
        return [first, (byte)(0x80 | payload.Length), .. mask, .. payload.Select((b, i) => (byte)(b ^ mask[i % 4]))];
    }

    [Fact]
    public void A_masked_close_is_seen_with_its_status_even_a_byte_at_a_time_and_one_without_a_status_as_1005()
    {
        var boundary = new WebSocketFrameBoundary();
        byte[] stream = [.. Masked(0x81, [1, 2, 3]), .. ViewerClose];
        var seenAt = -1;
        for (var i = 0; i < stream.Length; i++)
        {
            boundary.Advance(stream.AsSpan(i, 1));
            seenAt = seenAt < 0 && boundary.CloseStatus is not null ? i : seenAt;
        }

        Assert.Equal(stream.Length - 2, seenAt); // with the status's second byte; the reason ("x") follows
        Assert.Equal((ushort)1001, boundary.CloseStatus);
        Assert.True(boundary.AtBoundary);

        var bare = new WebSocketFrameBoundary();
        bare.Advance(Masked(0x88, []));
        Assert.Equal(WebSocketFrameBoundary.NoStatus, bare.CloseStatus);
        Assert.Equal(new byte[] { 0x88, 0 }, WebSocketFrameBoundary.CloseFrame(WebSocketFrameBoundary.NoStatus, ""));
    }

    [Fact]
    public async Task A_viewers_close_the_worker_left_unanswered_is_answered_with_its_status_when_the_tunnel_ends()
    {
        var viewer = new Duplex(ViewerClose);
        var stream = new ViewerWebSocketStream(viewer);
        await stream.WriteAsync(Frame(3));
        Assert.Equal(ViewerClose.Length, await stream.ReadAsync(new byte[64]));

        await stream.DisposeAsync();

        Assert.Equal([.. Frame(3), 0x88, 2, 0x03, 0xE9], viewer.Written.ToArray());
    }

    [Fact]
    public async Task A_viewers_close_the_worker_answered_gets_no_second_answer()
    {
        var viewer = new Duplex(ViewerClose);
        var stream = new ViewerWebSocketStream(viewer);
        Assert.Equal(ViewerClose.Length, await stream.ReadAsync(new byte[64]));
        var answer = WebSocketFrameBoundary.CloseFrame(1001, "");
        await stream.WriteAsync(answer);

        await stream.DisposeAsync();

        Assert.Equal(answer, viewer.Written.ToArray());
    }

    /// <summary>A viewer's connection: reads give what the viewer sent, writes are kept.</summary>
    private sealed class Duplex(byte[] sent) : Stream
    {
        private readonly MemoryStream _sent = new(sent);

        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _sent.Read(buffer, offset, count);

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
