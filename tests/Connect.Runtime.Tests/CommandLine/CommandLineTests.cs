using Connect.Testing;

namespace Connect.Runtime.Tests.CommandLine;

public sealed class CommandLineTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] args) => await RunWithInputAsync(null, args);

    private async Task<(int ExitCode, string Output)> RunWithInputAsync(string? input, params string[] args)
    {
        await using var process = new DotnetProcess(RepositoryPaths.ConnectDll, args, _folder.Path, input: input);
        var exitCode = await process.WaitForExitAsync();
        return (exitCode, process.Output);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    public async Task Help_lists_the_verbs(string asked)
    {
        var (exitCode, output) = await RunAsync(asked);

        Assert.Equal(0, exitCode);
        foreach (var verb in new[] { "run ", "migrate ", "users ", "keys ", "version " })
        {
            Assert.Contains(verb, output);
        }

        Assert.Contains("--config <PATH>", output);
    }

    [Fact]
    public async Task The_version_names_the_build_the_schema_and_the_product_api()
    {
        var (exitCode, output) = await RunAsync("version");

        Assert.Equal(0, exitCode);
        // The commit tells builds apart (the tests run from a git checkout, where the SDK records it).
        Assert.Matches(@"^connect \d+\.\d+\.\d+\+[0-9a-f]{12} \(schema \d+; serves the product's API of version \d{4}\.\d{2}\.\d+\)", output.Trim());
    }

    [Fact]
    public async Task An_unknown_verb_is_a_usage_error()
    {
        var (exitCode, output) = await RunAsync("fly");

        Assert.Equal(2, exitCode);
        Assert.Contains("'fly'", output);
    }

    [Theory]
    [InlineData("users add bob --rol administrator", "--rol")]          // a misspelt option is not ignored
    [InlineData("users add bob --role root", "root")]                   // nor is a value outside the list
    [InlineData("keys revoke seven", "seven")]                          // an id must be a number
    [InlineData("keys create", "--user")]                               // a required option
    [InlineData("users add", "argument missing")]                       // a required argument
    public async Task Bad_command_lines_exit_2_naming_the_problem_and_touch_nothing(string line, string named)
    {
        var (exitCode, output) = await RunAsync(line.Split(' '));

        Assert.Equal(2, exitCode);
        Assert.Contains(named, output);
        Assert.False(Directory.Exists(_folder.File("data")), "a bad command line must not create or open anything");
    }

    [Fact]
    public async Task Users_get_roles_with_either_option_form_and_passwords_from_standard_input()
    {
        var (added, addOutput) = await RunWithInputAsync("correct horse battery\n", "users", "add", "bob", "--role=administrator", "--password-stdin");
        var (tooShort, shortOutput) = await RunWithInputAsync("short\n", "users", "passwd", "bob");
        var (locked, _) = await RunAsync("users", "lock", "bob");
        var (_, list) = await RunAsync("users", "list");

        Assert.True(added == 0, addOutput);
        Assert.Equal(2, tooShort);
        Assert.Contains("8 to 1024 characters", shortOutput);
        Assert.Equal(0, locked);
        Assert.Contains("bob\tadministrator\tlocked\t\tlocal", list);
    }

    [Fact]
    public async Task Keys_are_listed_without_their_secret_and_revoked_by_id()
    {
        await RunAsync("users", "add", "kim");
        var (_, key) = await RunAsync("keys", "create", "--user", "kim", "--name=laptop");
        var (_, before) = await RunAsync("keys", "list");
        var id = before.Split('\n').Single(l => l.Contains("laptop")).Split('\t')[0];
        var (revoked, _) = await RunAsync("keys", "revoke", id);
        var (_, after) = await RunAsync("keys", "list", "--user", "kim");
        var (again, againOutput) = await RunAsync("keys", "revoke", id);

        Assert.DoesNotContain(key.Trim().Split('\n')[^1], before);
        Assert.Contains("active", before);
        Assert.Equal(0, revoked);
        Assert.Contains("revoked", after);
        Assert.Equal(1, again);
        Assert.Contains("no active API key", againOutput);
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
