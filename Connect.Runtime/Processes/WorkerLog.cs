using System.Text;
using Connect.Shared.Data;

namespace Connect.Runtime.Processes;

/// <summary>
/// A worker's log file in the data directory, appended to line by line as R writes. Once the worker runs, writing
/// never throws: a log that stops being writable (the disk filled up) is said once among the worker's own lines (which
/// the process list and error pages show), and its lines go on being kept there. A log that cannot be written when the
/// worker starts fails the start instead (<see cref="Begin"/>), naming why.
/// </summary>
internal sealed class WorkerLog(Worker worker) : IAsyncDisposable
{
    private StreamWriter? _file;
    private bool _failed;

    /// <summary>
    /// Writes the worker's first line to its log, so a log that cannot be written (a full disk, a folder gone read-only)
    /// stops the start at once with the reason, instead of a worker that never says it listens.
    /// </summary>
    /// <exception cref="IOException">The log cannot be written; the message says why in the administrator's words.</exception>
    public static void Begin(Worker worker, string firstLine)
    {
        try
        {
            File.AppendAllLines(worker.LogPath, [firstLine]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException(Describe(worker, e), e);
        }
    }

    public async Task WriteLineAsync(string line)
    {
        if (_failed)
        {
            return;
        }

        try
        {
            _file ??= new StreamWriter(worker.LogPath, append: true, Encoding.UTF8) { AutoFlush = true };
            await _file.WriteLineAsync(line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _failed = true;
            worker.AddLogLine("[connect] " + Describe(worker, e) + "; its output from here on is kept only in memory");
        }
    }

    // Viewers may read these lines on an error page: they name the problem, not the server's paths.
    private static string Describe(Worker worker, Exception e) => DatabaseErrors.IsDiskFull(e)
        ? $"worker {worker.Id} cannot write its log: the disk of the data directory is full"
        : $"worker {worker.Id} cannot write its log ({(e is UnauthorizedAccessException ? "permission denied" : "an I/O error")})";

    public async ValueTask DisposeAsync()
    {
        if (_file is null)
        {
            return;
        }

        try
        {
            await _file.DisposeAsync();
        }
        catch (IOException)
        {
            // Its last bytes could not be flushed: said already when the write failed.
        }
    }
}
