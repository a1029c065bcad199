namespace Connect.Admin.Services;

/// <summary>The end of a log file as a page shows it: at most its last bytes, saying how much was left out.</summary>
internal static class LogTail
{
    /// <summary>How much of a log a page shows: its end.</summary>
    public const int Shown = 256 * 1024;

    public static async Task<string> ReadAsync(string path, CancellationToken cancellationToken)
    {
        // A log being written (a worker's, a render's) is read as far as it goes.
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var skipped = Math.Max(0, file.Length - Shown);
        file.Seek(skipped, SeekOrigin.Begin);
        var text = await new StreamReader(file).ReadToEndAsync(cancellationToken);
        return skipped > 0 ? $"[the first {skipped:N0} bytes are left out]\n{text}" : text;
    }
}
