using System.Buffers.Binary;

namespace Connect.Runtime.Proxy;

/// <summary>
/// Follows the WebSocket frames (RFC 6455 §5.2) in a byte stream written in arbitrary pieces, to know when
/// the stream sits between two frames: the only place a frame of the node's own (a close) may be put in;
/// and whether a close frame has passed, with its status, so a close left unanswered can be answered.
/// </summary>
internal sealed class WebSocketFrameBoundary
{
    /// <summary>The status a close frame without one stands for (RFC 6455 §7.1.5); never sent in a frame.</summary>
    public const ushort NoStatus = 1005;

    private const int CloseOpcode = 8;

    private readonly byte[] _header = new byte[14];
    private int _headerLength;
    private int _headerNeeded = 2;
    private long _payloadLeft;

    // The close frame in progress: its mask, and the status bytes read so far.
    private bool _inClose;
    private readonly byte[] _mask = new byte[4];
    private readonly byte[] _status = new byte[2];
    private int _statusLength;

    /// <summary>True when every frame written so far is complete.</summary>
    public bool AtBoundary => _headerLength == 0 && _payloadLeft == 0;

    /// <summary>Once a close frame has passed: its status (<see cref="NoStatus"/> when it gave none); else null.</summary>
    public ushort? CloseStatus { get; private set; }

    public void Advance(ReadOnlySpan<byte> written)
    {
        while (!written.IsEmpty)
        {
            if (_payloadLeft > 0 && _inClose && _statusLength < 2)
            {
                // The first two payload bytes of a close frame are its status.
                _status[_statusLength] = (byte)(written[0] ^ _mask[_statusLength]);
                _statusLength++;
                _payloadLeft--;
                written = written[1..];
                if (_statusLength == 2)
                {
                    CloseStatus = BinaryPrimitives.ReadUInt16BigEndian(_status);
                }

                continue;
            }

            if (_payloadLeft > 0)
            {
                var skipped = (int)Math.Min(_payloadLeft, written.Length);
                _payloadLeft -= skipped;
                written = written[skipped..];
                continue;
            }

            _header[_headerLength++] = written[0];
            written = written[1..];
            if (_headerLength == 2)
            {
                var length7 = _header[1] & 0x7F;
                var masked = (_header[1] & 0x80) != 0;
                _headerNeeded = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + (masked ? 4 : 0);
            }

            if (_headerLength >= 2 && _headerLength == _headerNeeded)
            {
                _payloadLeft = PayloadLength();
                StartFrame();
                _headerLength = 0;
                _headerNeeded = 2;
            }
        }
    }

    private void StartFrame()
    {
        _inClose = (_header[0] & 0x0F) == CloseOpcode;
        if (!_inClose)
        {
            return;
        }

        _statusLength = 0;
        var masked = (_header[1] & 0x80) != 0;
        if (masked)
        {
            _header.AsSpan(_headerNeeded - 4, 4).CopyTo(_mask);
        }
        else
        {
            Array.Clear(_mask);
        }

        if (_payloadLeft < 2)
        {
            CloseStatus = NoStatus;
        }
    }

    private long PayloadLength() => (_header[1] & 0x7F) switch
    {
        126 => BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2)),
        127 => BinaryPrimitives.ReadInt64BigEndian(_header.AsSpan(2)),
        var length => length,
    };

    /// <summary>An unmasked close frame (server to client) with a status code and a short reason.</summary>
    public static byte[] CloseFrame(ushort status, string reason)
    {
        if (status == NoStatus)
        {
            return [0x88, 0];
        }

        var text = System.Text.Encoding.UTF8.GetBytes(reason);
        if (text.Length > 123)
        {
            throw new ArgumentException("A close reason is at most 123 bytes.", nameof(reason));
        }

        var frame = new byte[4 + text.Length];
        frame[0] = 0x88; // FIN + opcode 8 (close)
        frame[1] = (byte)(2 + text.Length);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), status);
        text.CopyTo(frame, 4);
        return frame;
    }
}
