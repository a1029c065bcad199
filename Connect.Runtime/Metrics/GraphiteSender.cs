using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Connect.Shared.Configuration;
using Connect.Shared.Metrics;

namespace Connect.Runtime.Metrics;

/// <summary>
/// Sends the node's samples to Graphite/Carbon in its plaintext protocol (<c>path value timestamp</c>), as
/// <c>{Metrics.GraphiteClientId}.{series}</c>. Samples are queued and sent by a background loop, so a slow or
/// absent Carbon never holds up the node: while it is away samples wait (the newest 100,000 lines), and the
/// connection is tried again with back-off.
/// </summary>
internal sealed partial class GraphiteSender(ConnectOptions options, ILogger<GraphiteSender> logger) : BackgroundService
{
    private const int Buffered = 100_000;

    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(Buffered)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });

    private string Prefix => Clean(options.Metrics.GraphiteClientId ?? options.Node.Name);

    public void Enqueue(DateTimeOffset at, IReadOnlyList<Sample> samples)
    {
        if (!options.Metrics.Graphite)
        {
            return;
        }

        var seconds = at.ToUnixTimeSeconds();
        foreach (var sample in samples.Where(s => double.IsFinite(s.Value)))
        {
            _lines.Writer.TryWrite(string.Create(CultureInfo.InvariantCulture, $"{Prefix}.{Clean(sample.Series)} {sample.Value} {seconds}\n"));
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Metrics.Graphite)
        {
            return;
        }

        var backOff = TimeSpan.FromSeconds(1);
        string? unsent = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(options.Metrics.GraphiteHost!, options.Metrics.GraphitePort, stoppingToken);
                await using var stream = client.GetStream();
                LogConnected(options.Metrics.GraphiteHost!, options.Metrics.GraphitePort);
                backOff = TimeSpan.FromSeconds(1);
                while (true)
                {
                    unsent ??= await _lines.Reader.ReadAsync(stoppingToken);
                    var batch = new StringBuilder(unsent);
                    while (batch.Length < 64 * 1024 && _lines.Reader.TryRead(out var more))
                    {
                        batch.Append(more);
                    }

                    unsent = batch.ToString();
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(unsent), stoppingToken);
                    unsent = null;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                LogUnreachable(options.Metrics.GraphiteHost!, options.Metrics.GraphitePort, e.Message, backOff.TotalSeconds);
                await Task.Delay(backOff, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                backOff = TimeSpan.FromSeconds(Math.Min(backOff.TotalSeconds * 2, 30));
            }
        }
    }

    /// <summary>Graphite separates path parts with dots; anything but letters, digits, '-' and '_' in a part becomes '_'.</summary>
    private static string Clean(string name) =>
        string.Join('.', name.Split('.').Select(part => new string(part.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray())));

    [LoggerMessage(EventId = 800, Level = LogLevel.Information, Message = "Sending metrics to Graphite at {Host}:{Port}")]
    private partial void LogConnected(string host, int port);

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "Graphite at {Host}:{Port} cannot be reached ({Reason}); samples wait, trying again in {Seconds}s")]
    private partial void LogUnreachable(string host, int port, string reason, double seconds);
}
