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
}
