using System.Diagnostics;

namespace Connect.E2E.Infrastructure;

/// <summary>A short command run on the test's host, with its exit code and everything it printed.</summary>
public static class HostCommand
{
    public static async Task<(int Code, string Output)> RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
