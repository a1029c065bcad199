using CliWrap;
using CliWrap.Buffered;
using Connect.Runtime.Processes;

namespace Connect.Runtime.Tests.Processes;

/// <summary>The R code that hands a spare its content: every value arrives as it was, and none can break out of it.</summary>
public sealed class SpareWorkersTests
{
    [Fact]
    public async Task Variables_reach_R_byte_for_byte_whatever_they_hold()
    {
        var hostile = "\"); system(\"touch /tmp/spare-escaped\"); x <- (\"\n\\' é ☃";
        var code = SpareWorkers.EnvironmentCode([new("API_TOKEN", hostile), new("EMPTY", ""), new("HOME", "/tmp/spare/home")]);

        var result = await Cli.Wrap("Rscript").WithArguments(["--vanilla", "-e",
                code + "cat(Sys.getenv('API_TOKEN'), '|', Sys.getenv('EMPTY', 'unset'), '|', Sys.getenv('HOME'), sep = '')"])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync(System.Text.Encoding.UTF8);

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal($"{hostile}||/tmp/spare/home", result.StandardOutput);
        Assert.False(File.Exists("/tmp/spare-escaped"));
        Assert.DoesNotContain("system", code); // the value travels as bytes, never as R source
    }

    [Fact]
    public void The_spare_starts_the_app_in_its_own_folder_with_the_entry_point_of_a_worker()
    {
        var code = SpareWorkers.AssignmentCode([new("CONNECT_CONTENT_GUID", "0b7c"), new("HOME", Spare.InsideHome)]);

        Assert.EndsWith(WorkerLauncher.EntryPoint(Shared.Content.AppModes.Shiny, null), code);
        Assert.DoesNotContain("\n", code); // one line on its standard input
        Assert.Contains("setwd(", code);
    }

    [Theory]
    [InlineData("LC_ALL", true)]
    [InlineData("R_MAX_VSIZE", true)]
    [InlineData("OMP_NUM_THREADS", true)]
    [InlineData("LANGUAGE", true)]
    [InlineData("API_TOKEN", false)]
    [InlineData("TZ", false)] // R reads TZ when it formats a time
    public void Variables_read_only_as_R_starts_keep_an_app_off_the_spares(string name, bool readAtStartup) =>
        Assert.Equal(readAtStartup, SpareWorkers.ReadAtStartup(name));
}
