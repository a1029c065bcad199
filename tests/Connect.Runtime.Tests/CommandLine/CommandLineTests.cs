using Connect.Testing;

namespace Connect.Runtime.Tests.CommandLine;

public sealed class CommandLineTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        await using var process = new DotnetProcess(RepositoryPaths.ConnectDll, args, _folder.Path);
        var exitCode = await process.WaitForExitAsync();
        return (exitCode, process.Output);
    }

    [Fact]
    public async Task Help_lists_the_verbs()
    {
        var (exitCode, output) = await RunAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("Usage: connect <verb>", output);
        Assert.Contains("run ", output);
        Assert.Contains("migrate ", output);
        Assert.Contains("--config PATH", output);
    }

    [Fact]
    public async Task An_unknown_verb_is_a_usage_error()
    {
        var (exitCode, output) = await RunAsync("fly");

        Assert.Equal(2, exitCode);
        Assert.Contains("unknown verb 'fly'", output);
    }

    [Fact]
    public async Task A_config_with_three_mistakes_starts_nothing_and_names_all_three()
    {
        File.WriteAllText(_folder.File("bad.gcfg"), """
            [Database]
            Provider = postgres
            [Scheduler]
            MinProcesses = 5
            MaxProcesses = 2
            [Applications]
            ScheduleConcurrency = -3
            """);

        var (exitCode, output) = await RunAsync("run", "--config", _folder.File("bad.gcfg"));

        Assert.Equal(2, exitCode);
        Assert.Contains("has 3 problem(s); nothing was started", output);
        Assert.Contains("Postgres.URL: must be set when Database.Provider = postgres", output);
        Assert.Contains("bad.gcfg:4: Scheduler.MinProcesses: 5 is greater than Scheduler.MaxProcesses (2)", output);
        Assert.Contains("bad.gcfg:7: Applications.ScheduleConcurrency: -3 must be 0 or more", output);
        Assert.False(Directory.Exists(_folder.File("data")), "nothing may be created for a bad configuration");
    }
}
