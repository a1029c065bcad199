using System.Diagnostics;
using System.Globalization;
using Connect.Testing;

namespace Connect.E2E.Infrastructure;

/// <summary>
/// Debian's graphite-carbon (carbon-cache) receiving Graphite's plaintext protocol on a free port and writing
/// whisper files into a test folder, every metric kept at one-second resolution.
/// </summary>
public sealed class CarbonProcess : DaemonProcess
{
    private readonly string _config;

    private CarbonProcess(string config, int port, string whisper)
        : base("carbon-cache", [$"--config={config}", "--nodaemon", "start"])
    {
        _config = config;
        Port = port;
        WhisperFolder = whisper;
    }

    public int Port { get; }

    public string WhisperFolder { get; }

    public static async Task<CarbonProcess> StartAsync(TempDirectory temp, int? port = null)
    {
        var folder = Directory.CreateDirectory(temp.File($"carbon-{Guid.NewGuid():N}")).FullName;
        var whisper = Path.Combine(folder, "whisper");
        var line = port ?? FreePort.Next();
        var config = Path.Combine(folder, "carbon.conf");
        await File.WriteAllTextAsync(config, $"""
            [cache]
            STORAGE_DIR = {folder}
            LOCAL_DATA_DIR = {whisper}
            WHITELISTS_DIR = {folder}/lists
            CONF_DIR = {folder}
            LOG_DIR = {folder}/log
            PID_DIR = {folder}
            ENABLE_LOGROTATION = False
            ENABLE_TAGS = False
            USER =
            MAX_CACHE_SIZE = inf
            MAX_UPDATES_PER_SECOND = 10000
            MAX_CREATES_PER_MINUTE = inf
            LINE_RECEIVER_INTERFACE = 127.0.0.1
            LINE_RECEIVER_PORT = {line}
            ENABLE_UDP_LISTENER = False
            PICKLE_RECEIVER_INTERFACE = 127.0.0.1
            PICKLE_RECEIVER_PORT = {FreePort.Next()}
            CACHE_QUERY_INTERFACE = 127.0.0.1
            CACHE_QUERY_PORT = {FreePort.Next()}
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "storage-schemas.conf"), "[all]\npattern = .*\nretentions = 1s:1h\n");
        return await LaunchAsync(config, line, whisper);
    }

    /// <summary>Starts carbon again after <see cref="DaemonProcess.StopAsync"/>, on the same port and whisper files.</summary>
    public async Task<CarbonProcess> RestartAsync()
    {
        await StopAsync();
        return await LaunchAsync(_config, Port, WhisperFolder);
    }

    private static async Task<CarbonProcess> LaunchAsync(string config, int port, string whisper)
    {
        var carbon = new CarbonProcess(config, port, whisper);
        await Wait.UntilAsync(() =>
        {
            carbon.ThrowIfExited("carbon-cache");
            return Task.FromResult(carbon.Output.Contains($"starting on {port}", StringComparison.Ordinal));
        }, "carbon-cache to listen");
        return carbon;
    }

    /// <summary>The points carbon has written for a dotted metric path (none while its whisper file does not exist yet).</summary>
    public async Task<IReadOnlyList<(DateTimeOffset At, double Value)>> PointsAsync(string metric)
    {
        var file = Path.Combine(WhisperFolder, Path.Combine(metric.Split('.')) + ".wsp");
        if (!File.Exists(file))
        {
            return [];
        }

        var info = new ProcessStartInfo("whisper-fetch") { RedirectStandardOutput = true, UseShellExecute = false };
        // Not --drop=nulls: whisper-fetch numbers the remaining points as if none were dropped.
        info.ArgumentList.Add(file);
        using var fetch = Process.Start(info)!;
        var text = await fetch.StandardOutput.ReadToEndAsync();
        await fetch.WaitForExitAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(row => row.Split('\t'))
            .Where(cells => cells[1] != "None")
            .Select(cells => (DateTimeOffset.FromUnixTimeSeconds(long.Parse(cells[0], CultureInfo.InvariantCulture)),
                double.Parse(cells[1], CultureInfo.InvariantCulture)))
            .ToList();
    }
}
