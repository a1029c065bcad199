using System.Text;
using CliWrap;
using CliWrap.Buffered;
using Connect.Shared.Configuration;

namespace Connect.Runtime.R;

/// <summary>The R this node runs content with: <c>R.Executable</c>, else the first <c>R</c> on PATH.</summary>
internal sealed class RInstallation(ConnectOptions options)
{
    private readonly Lazy<string?> _rscript = new(() => FindRscript(options.R.Executable));

    /// <summary>Rscript beside the configured R, or null when no R is installed.</summary>
    public string? Rscript => _rscript.Value;

    public string Describe() => options.R.Executable ?? "R on PATH";

    /// <summary>The R executable beside Rscript (<c>R CMD INSTALL</c> needs it), or null when no R is installed.</summary>
    public string? R => Rscript is { } rscript && Path.Combine(Path.GetDirectoryName(rscript)!, "R") is var r && File.Exists(r) ? r : null;

    private (string? Version, DateTime At) _version;

    /// <summary>
    /// This R's version (<c>4.2.2</c>) from <c>Rscript --version</c>, which prints it without starting R; kept for a
    /// minute. Null when no R is installed or it does not say.
    /// </summary>
    public async Task<string?> VersionAsync(CancellationToken cancellationToken)
    {
        if (Rscript is not { } rscript)
        {
            return null;
        }

        if (_version.Version is null || DateTime.UtcNow - _version.At > TimeSpan.FromMinutes(1))
        {
            var result = await Cli.Wrap(rscript).WithArguments(["--version"]).WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(Encoding.UTF8, cancellationToken);
            _version = (ParseVersion(result.StandardOutput + result.StandardError), DateTime.UtcNow);
        }

        return _version.Version;
    }

    /// <summary>The version in <c>Rscript --version</c>'s words: "Rscript (R) version 4.2.2 Patched (2022-11-10 r83330)".</summary>
    internal static string? ParseVersion(string text) =>
        System.Text.RegularExpressions.Regex.Match(text, @"version ([0-9]+\.[0-9]+\.[0-9]+)") is { Success: true } match ? match.Groups[1].Value : null;

    private static string? FindRscript(string? rExecutable)
    {
        if (rExecutable is not null)
        {
            var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(rExecutable)) ?? "", "Rscript");
            return File.Exists(beside) ? beside : null;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(dir => File.Exists(Path.Combine(dir, "R")))
            .Select(dir => Path.Combine(dir, "Rscript"))
            .FirstOrDefault(File.Exists);
    }
}
