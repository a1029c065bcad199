using System.Text;

namespace Connect.Runtime.Proxy;

/// <summary>
/// Shiny only reconnects after a dropped WebSocket (<c>session$allowReconnect(TRUE)</c>) when the
/// hosting server supplies the socket and marks it reconnectable, as Shiny Server and RStudio
/// Connect do. This script, put first in a Shiny page's head, does that with a plain WebSocket, so a
/// session whose node died reconnects through the load balancer to a live node without a reload.
/// </summary>
internal static class ShinyReconnect
{
    public const string Script = """
        <script>(function(){window.Shiny=window.Shiny||{};window.Shiny.createSocket=function(){var p=location.protocol==="https:"?"wss:":"ws:";var path=location.pathname.replace(/\/?$/,"/")+"websocket/";var ws=new WebSocket(p+"//"+location.host+path);ws.binaryType="arraybuffer";ws.allowReconnect=true;return ws;};})();</script>
        """;

    /// <summary>The page with the script inserted right after its &lt;head&gt; tag (unchanged if it has none).</summary>
    public static byte[] Inject(byte[] html)
    {
        var text = Encoding.UTF8.GetString(html);
        var head = text.IndexOf("<head>", StringComparison.OrdinalIgnoreCase);
        return head < 0 ? html : Encoding.UTF8.GetBytes(text.Insert(head + "<head>".Length, Script));
    }
}
