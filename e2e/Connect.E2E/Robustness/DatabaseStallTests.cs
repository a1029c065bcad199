using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Connect.E2E.Infrastructure;
using Connect.Testing;

namespace Connect.E2E.Robustness;

/// <summary>
/// A database that hangs instead of refusing (every PostgreSQL process stopped, as in a failover or a stalled
/// network): running content keeps answering without waiting for it, /__ping__ says so, and all recovers by itself.
/// </summary>
public sealed class DatabaseStallTests : IDisposable
{
    private static readonly TimeSpan Freeze = TimeSpan.FromSeconds(15);

    private readonly TempDirectory _folder = new("connect-stall");

    public void Dispose() => _folder.Dispose();

    private const string Api = """
        #* @serializer unboxedJSON
        #* @get /hello
        function() list(message = "still here")
        """;

    [Fact]
    public async Task Running_content_answers_through_a_frozen_database_without_waiting_for_it_and_the_node_says_degraded()
    {
        await using var postgres = await PrivatePostgres.StartAsync(_folder);
        await using var node = NodeProcess.Start(_folder, "node", postgres.ConfigLines);
        await node.WaitUntilServingAsync();
        var site = await node.DeployAsync("site", TestBundles.StaticSite("a static page"));
        var open = await node.DeployAsync("open-api", TestBundles.PlumberApi(Api));
        var members = await node.DeployAsync("members-api", TestBundles.PlumberApi(Api), accessType: "acl");
        using var admin = node.ClientWithKey(node.AdminKey, timeout: Freeze * 2);
        using var anonymous = new HttpClient { BaseAddress = node.Http.BaseAddress, Timeout = Freeze * 2 };
        var requests = new (HttpClient Client, string Path, string Expected)[]
        {
            (anonymous, $"content/{site}/", "a static page"),
            (anonymous, $"content/{open}/hello", "still here"),
            (admin, $"content/{members}/hello", "still here"),
        };
        foreach (var (client, path, expected) in requests)
        {
            Assert.Contains(expected, await client.GetStringAsync(path));
        }

        var slowest = TimeSpan.Zero;
        var answered = 0;
        var failures = new List<string>();
        var degraded = false;
        var skewLines = node.Output.Split('\n').Count(l => l.Contains("Clock skew"));
        postgres.Freeze();
        try
        {
            // Load for as long as the freeze lasts: four callers at a time, each request timed.
            var frozen = Stopwatch.StartNew();
            while (frozen.Elapsed < Freeze)
            {
                var round = Enumerable.Range(0, 4).SelectMany(_ => requests).Select(async r =>
                {
                    var watch = Stopwatch.StartNew();
                    using var response = await r.Client.GetAsync(r.Path);
                    var body = await response.Content.ReadAsStringAsync();
                    return (r.Path, response.StatusCode, Ok: body.Contains(r.Expected), watch.Elapsed);
                });
                foreach (var (path, status, ok, took) in await Task.WhenAll(round))
                {
                    answered++;
                    slowest = took > slowest ? took : slowest;
                    if (status != HttpStatusCode.OK || !ok)
                    {
                        failures.Add($"{path}: {status}");
                    }
                }

                degraded |= (await anonymous.GetStringAsync("__ping__")).Contains("degraded");
            }
        }
        finally
        {
            postgres.Thaw();
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {answered} requests failed: {string.Join(", ", failures.Distinct())}\n{node.Tail(60)}");
        // Every request was answered while the database was still frozen, and none waited for it: a third of the freeze
        // is far more than any request takes when nothing waits, and far less than waiting for the database takes.
        Assert.True(slowest < Freeze / 3, $"the slowest request took {slowest.TotalSeconds:0.0} s of a {Freeze.TotalSeconds} s freeze\n{node.Tail(60)}");
        Assert.True(degraded, $"/__ping__ never said degraded during the freeze\n{node.Tail(60)}");

        // Afterwards all recovers by itself: ping is plain again, the API works, a deploy goes live.
        await Wait.UntilAsync(async () => await anonymous.GetStringAsync("__ping__") == "{}", "/__ping__ to be healthy again").ShowingOutputOf(node);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("__api__/v1/content")).StatusCode);
        await node.RedeployAsync(site, TestBundles.StaticSite("after the freeze"));
        await Wait.UntilAsync(async () => (await anonymous.GetStringAsync($"content/{site}/")).Contains("after the freeze"), "the redeploy to be served").ShowingOutputOf(node);
        // Nothing false was said: a stalled round trip is not clock skew.
        Assert.Equal(skewLines, node.Output.Split('\n').Count(l => l.Contains("Clock skew")));
        Assert.DoesNotContain("Unhandled exception", node.Output);
    }

    [Fact]
    public async Task Rsconnect_deploying_while_the_database_is_frozen_reports_what_goes_live()
    {
        await using var postgres = await PrivatePostgres.StartAsync(_folder);
        await using var node = NodeProcess.Start(_folder, "node", postgres.ConfigLines);
        await node.WaitUntilServingAsync();
        var report = Directory.CreateDirectory(_folder.File("report")).FullName;
        await File.WriteAllTextAsync(Path.Combine(report, "report.Rmd"),
            "---\ntitle: \"Through the freeze\"\noutput: html_document\n---\n\n```{r, echo = FALSE}\nSys.sleep(4)\n```\n\nRendered through the freeze.\n");

        var deploying = Rsconnect.For(node, _folder).DeployAsync(report, "frozen-report", "report.Rmd");
        await Wait.UntilAsync(async () => await postgres.ScalarAsync<long>("SELECT COUNT(*) FROM tasks WHERE kind = 'deploy'") > 0 || deploying.IsCompleted,
            "the deploy to start").ShowingOutputOf(node);
        postgres.Freeze();
        try
        {
            // The render finishes while the database is frozen; rsconnect polls throughout.
            await Task.WhenAny(deploying, Task.Delay(TimeSpan.FromSeconds(20)));
        }
        finally
        {
            postgres.Thaw();
        }

        // rsconnect says it succeeded (DeployAsync fails the test with its output otherwise), and so it is.
        await deploying.WaitAsync(TimeSpan.FromMinutes(3));
        using var admin = node.ClientWithKey(node.AdminKey);
        var guid = (await admin.ContentByNameAsync())["frozen-report"];
        Assert.Contains("Rendered through the freeze.", await admin.GetStringAsync($"content/{guid}/"));
        Assert.Equal(0L, await postgres.ScalarAsync<long>("SELECT COUNT(*) FROM tasks WHERE kind = 'deploy' AND (finished = 0 OR code <> 0)"));
        // On the thaw the task's heartbeat and its result race for the database: whichever wins, nothing false is said.
        Assert.DoesNotContain("nothing of it goes live", node.Output);
        Assert.DoesNotContain("failed (task", node.Output);
    }
}
