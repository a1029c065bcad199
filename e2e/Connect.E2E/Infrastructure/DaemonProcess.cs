using System.Collections.Concurrent;
using System.Diagnostics;

namespace Connect.E2E.Infrastructure;

/// <summary>
/// A real outside server (Prometheus, Carbon) run in the foreground for one test, with its output kept to show
/// when it fails, and killed with everything it started when the test ends.
/// </summary>
public class DaemonProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    protected DaemonProcess(string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    /// <summary>Throws with the server's output when it has exited, for use inside a wait.</summary>
    protected void ThrowIfExited(string name)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{name} exited with {_process.ExitCode}:\n{Output}");
        }
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        await StopAsync();
        _process.Dispose();
    }

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
