using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Connect.Testing;

/// <summary>
/// A real .NET program (a node, the admin console) started as its own process, with its output
/// collected so tests can wait for log lines and show them when something fails.
/// </summary>
public class DotnetProcess : IAsyncDisposable
{
    private const int SIGTERM = 15;
    private const int SIGKILL = 9;
    private const int SIGCONT = 18;
    private const int SIGSTOP = 19;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    /// <param name="input">Written to the program's standard input, which is then closed (none: stdin is inherited).</param>
    public DotnetProcess(string dll, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null, string? input = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // A test's own CONNECT_* variables (say, from the developer's shell) must not leak into the node.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("CONNECT_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        _process = new Process { StartInfo = info, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (input is not null)
        {
            _process.StandardInput.Write(input);
            _process.StandardInput.Close();
        }
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output => string.Join('\n', _output);

    /// <summary>The last <paramref name="lines"/> lines of <see cref="Output"/>.</summary>
    public string Tail(int lines) => string.Join('\n', _output.TakeLast(lines));

    private void Collect(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    /// <summary>Asks the process to stop the way an init system does.</summary>
    public void Terminate()
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, SIGTERM);
        }
    }

    /// <summary>Freezes the process (SIGSTOP), as a stalled VM or a long GC pause would; <see cref="Thaw"/> resumes it.</summary>
    public void Freeze() => _ = kill(_process.Id, SIGSTOP);

    public void Thaw() => _ = kill(_process.Id, SIGCONT);

    /// <summary>SIGKILL to this process alone, not its children: whatever it started must die with it by itself.</summary>
    public void KillAlone()
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, SIGKILL);
        }
    }

    /// <summary>Kills the process at once, as a crash or power loss would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Wait.DefaultTimeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"process {_process.Id} did not exit in time. Output:\n{Output}");
        }

        return _process.ExitCode;
    }

    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null) =>
        Wait.UntilAsync(() => Output.Contains(text, StringComparison.Ordinal), $"'{text}' in the output of process {Pid}", timeout);

    public virtual async ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        Kill();
        try
        {
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
