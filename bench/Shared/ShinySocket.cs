// Shared by the bench tools that talk to Shiny over its WebSocket (compiled into each, not a library).
using System.Net.WebSockets;
using System.Text;

internal static class ShinySocket
{
    public static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Reads whole messages until one contains <paramref name="marker"/>; a close from the server is an error.</summary>
    public static async Task ReceiveUntilAsync(ClientWebSocket socket, string marker, CancellationToken cancellationToken = default)
    {
        var buffer = new byte[65536];
        while (true)
        {
            var message = new StringBuilder();
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer, cancellationToken);
                message.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException("the server closed the socket");
            }

            if (message.ToString().Contains(marker, StringComparison.Ordinal))
            {
                return;
            }
        }
    }
}
