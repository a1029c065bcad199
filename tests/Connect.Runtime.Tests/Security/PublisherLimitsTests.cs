using System.Net;
using System.Net.Http.Json;
using Connect.Runtime.Tests.Publishing;
using Connect.Testing;
using static Connect.Runtime.Tests.Publishing.PublishingNode;

namespace Connect.Runtime.Tests.Security;

/// <summary>What a publisher may set is bounded: every out-of-bounds value is a 400 naming the field, never a 500.</summary>
public sealed class PublisherLimitsTests(PublishingNode server) : IClassFixture<PublishingNode>
{
    private HttpClient Admin => server.Admin;

    private async Task<string> NewContentAsync(string name)
    {
        var created = await JsonAsync(await Admin.PostAsJsonAsync("__api__/v1/content", new { name }));
        return created.GetProperty("guid").GetString()!;
    }

    public static TheoryData<string, string> BadSettings => new()
    {
        { """{"idle_timeout": 1e300}""", "idle_timeout" },
        { """{"idle_timeout": -1}""", "idle_timeout" },
        { """{"init_timeout": 0}""", "init_timeout" },
        { """{"init_timeout": 100000}""", "init_timeout" },
        { """{"max_conns_per_process": 100000}""", "max_conns_per_process" },
        { """{"max_processes": 5000}""", "max_processes" },
        { """{"min_processes": -2}""", "min_processes" },
        { """{"load_factor": 7}""", "load_factor" },
        { """{"access_type": "everyone"}""", "access_type" },
        { """{"min_processes": 99999999999}""", "min_processes" },
        { """{"title": 12}""", "title" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Process_settings_out_of_bounds_are_refused_by_name(string body, string field)
    {
        var guid = await NewContentAsync($"limits-{Math.Abs(body.GetHashCode())}");

        var response = await Admin.PatchAsync($"__api__/v1/content/{guid}", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, (await JsonAsync(response)).GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("LD_PRELOAD")]
    [InlineData("R_LIBS_USER")]
    [InlineData("R_HOME")]
    [InlineData("PATH")]
    [InlineData("CONNECT_SERVER")]
    [InlineData("1BAD")]
    public async Task Environment_variables_that_would_break_out_are_refused_by_name(string name)
    {
        var guid = await NewContentAsync($"env-{name.ToLowerInvariant().Replace('_', '-')}");

        var response = await Admin.PatchAsJsonAsync($"__api__/v1/content/{guid}/environment", new[] { new { name = "FINE", value = "1" }, new { name, value = "/tmp/evil" } });
        var names = await JsonAsync(await Admin.GetAsync($"__api__/v1/content/{guid}/environment"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(name, (await JsonAsync(response)).GetProperty("error").GetString());
        Assert.Empty(names.EnumerateArray()); // nothing of a refused change is kept
    }

    [Fact]
    public async Task Environment_values_are_write_only_and_capped_in_number()
    {
        var guid = await NewContentAsync("env-cap");
        var many = Enumerable.Range(0, 101).Select(i => new { name = $"V{i}", value = "x" }).ToArray();

        var tooMany = await Admin.PatchAsJsonAsync($"__api__/v1/content/{guid}/environment", many);
        var ok = await Admin.PatchAsJsonAsync($"__api__/v1/content/{guid}/environment", new[] { new { name = "TOKEN", value = "s3cret-value" } });
        var replaced = await Admin.PutAsJsonAsync($"__api__/v1/content/{guid}/environment", new[] { new { name = "OTHER", value = "y" } });

        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("at most 100", (await JsonAsync(tooMany)).GetProperty("error").GetString());
        Assert.Equal("[\"TOKEN\"]", await ok.Content.ReadAsStringAsync());
        Assert.DoesNotContain("s3cret", await ok.Content.ReadAsStringAsync());
        Assert.Equal("[\"OTHER\"]", await replaced.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("1s")]
    [InlineData("30s")]
    public async Task A_schedule_more_often_than_once_a_minute_is_refused(string interval)
    {
        var guid = await NewContentAsync($"sched-{interval}");
        await server.DeployAsync(Admin, (await JsonAsync(await Admin.GetAsync($"__api__/v1/content/{guid}"))).GetProperty("id").GetInt64(),
            TestBundles.Create(("manifest.json", TestBundles.Manifest("rmd-static", primaryRmd: "r.Rmd")), ("r.Rmd", "x")));

        var response = await Admin.PostAsJsonAsync($"__api__/v1/content/{guid}/schedules", new { interval });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at least 1m", (await JsonAsync(response)).GetProperty("error").GetString());
    }
}
