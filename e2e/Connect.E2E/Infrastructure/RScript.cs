using CliWrap;
using CliWrap.Buffered;

namespace Connect.E2E.Infrastructure;

/// <summary>Runs real R (Rscript) with its own home and rsconnect configuration folder, so tests never share accounts.</summary>
public static class RScript
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string script, string home)
    {
        Directory.CreateDirectory(home);
        var path = Path.Combine(home, $"script-{Guid.NewGuid():N}.R");
        await File.WriteAllTextAsync(path, script);
        var result = await Cli.Wrap("Rscript")
            .WithArguments([path])
            .WithWorkingDirectory(home)
            .WithEnvironmentVariables(e => e
                .Set("HOME", home)
                .Set("R_USER_CONFIG_DIR", Path.Combine(home, "config"))
                .Set("R_USER_DATA_DIR", Path.Combine(home, "data")))
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync();
        return (result.ExitCode, result.StandardOutput + result.StandardError);
    }

    /// <summary>An R string literal.</summary>
    public static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
