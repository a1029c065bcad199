using Bunit;
using Connect.Admin.Components.Pages;
using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Users;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Metrics;
using Connect.Shared.Scheduling;
using Connect.Shared.Tasks;
using Microsoft.Extensions.DependencyInjection;
using static Connect.Admin.Tests.FakeClusterFeed;
using static Connect.Admin.Tests.FakeContentCatalog;

namespace Connect.Admin.Tests.Pages;

public sealed class ContentPagesTests : AdminTestContext
{
    private readonly FakeClusterFeed _feed = new();
    private readonly ConnectOptions _options = new() { Server = { Address = "https://connect.example.org/" } };
    private readonly FakeContentCatalog _catalog;
    private readonly FakeContentDesk _desk = new();

    public ContentPagesTests()
    {
        _catalog = new FakeContentCatalog(_options.Scheduler);
        Services.AddSingleton<IClusterFeed>(_feed);
        Services.AddSingleton<IContentCatalog>(_catalog);
        Services.AddSingleton<IContentDesk>(_desk);
        Services.AddSingleton(_options);
    }

    private Caller _caller = null!;

    public override Task InitializeAsync()
    {
        _caller = SignIn();
        return base.InitializeAsync();
    }

    private static WorkerLive Worker(string guid) => new(Guid.NewGuid().ToString("N"), guid, 1, 4242, 1, 5, 100L << 20, DateTimeOffset.UnixEpoch, "Ready");

    [Fact]
    public void An_empty_server_says_nothing_is_published()
    {
        _feed.Publish(new ClusterSnapshot("SQLite db", 4, 4, [Node("node-a")]));

        Assert.Contains("Nothing has been published yet", Render<ContentList>().Markup);
    }

    [Fact]
    public void The_list_shows_owner_type_url_bundle_and_workers_per_running_node()
    {
        _catalog.Items.Add(Item("g-app", "dashboard"));
        _catalog.Items.Add(Item("g-new", "draft", appMode: null, bundle: null));
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-a"), Node("node-b"), Node("node-c", NodeStatus.Stopped)])
        {
            Status =
            [
                Status("node-a", Settings("/m/a"), [Worker("g-app")]),
                Status("node-b", Settings("/m/b"), [Worker("g-app"), Worker("g-app")]),
                // A stopped node's last report is not where anything runs now.
                Status("node-c", Settings("/m/c"), [Worker("g-app")]),
            ],
        });

        var page = Render<ContentList>();

        var rows = page.FindAll("[aria-label=Content] tbody tr").Select(r => r.TextContent).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("dashboard", rows[0]);
        Assert.Contains("pat", rows[0]);
        Assert.Contains("Shiny application", rows[0]);
        Assert.Contains("https://connect.example.org/content/g-app/", rows[0]);
        Assert.Contains("node-a: 1, node-b: 2", rows[0]);
        Assert.DoesNotContain("node-c", rows[0]);
        Assert.Contains("not deployed", rows[1]);
        Assert.Contains("never", rows[1]);

        // Live: a worker ending on node-a shows without a reload.
        _feed.Publish(_feed.Current! with { Status = [Status("node-b", Settings("/m/b"), [Worker("g-app")])] });
        page.WaitForAssertion(() => Assert.Contains("node-b: 1", page.Find("[aria-label=Content] tbody tr").TextContent));
    }

    [Fact]
    public void An_item_shows_its_deploys_with_logs_bundles_schedules_and_runs()
    {
        var item = Item("g-rep", "report", AppModes.RmdStatic, bundle: 3);
        var run = new JobRecord(9, 1, 2, "scheduled-render", "failed", "node-b", 4, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
            DateTimeOffset.UnixEpoch, 1, "R exited with 1", "jobs/9.log");
        _catalog.Details["g-rep"] = new ContentDetails(item,
            [new Bundle(3, 1, "bundles/3", 2048, AppModes.RmdStatic, "report.Rmd", [], DateTimeOffset.UnixEpoch)],
            [new TaskSummary("task-1", "deploy", "node-a", true, 0, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)],
            [new Schedule(2, 1, "0 6 * * *", "UTC", true, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)],
            [run]);
        _catalog.DeployLogs["task-1"] = ["Bundle extracted", "Output created: report.html"];
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-a")]));

        var page = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-rep"));

        Assert.Contains("R Markdown", page.Find("[data-testid=content-summary]").TextContent);
        Assert.Contains("3 (active)", page.Find("[aria-label=Bundles] tbody").TextContent);
        Assert.Contains("2 KiB", page.Find("[aria-label=Bundles] tbody").TextContent);
        Assert.Contains("0 6 * * *", page.Find("[aria-label=Schedules] tbody").TextContent);
        var runRow = page.Find("[aria-label=Runs] tbody tr").TextContent;
        Assert.Contains("failed", runRow);
        Assert.Contains("R exited with 1", runRow);
        Assert.Contains("succeeded", page.Find("[aria-label=Deploys] tbody tr").TextContent);

        page.Find("[data-testid=show-deploy-log]").Click();
        Assert.Contains("Output created: report.html", page.Find("[data-testid=log]").TextContent);

        page.Find("[data-testid=show-run-log]").Click();
        Assert.Equal("log of run 9", page.Find("[data-testid=log]").TextContent);
    }

    [Fact]
    public void An_items_use_is_shown_day_by_day()
    {
        _catalog.Details["g-app"] = new ContentDetails(Item("g-app", "dashboard"), [], [], [], [],
            Usage: [new(new DateOnly(2026, 12, 6), 42, 7), new(new DateOnly(2026, 12, 5), 3, 0)]);
        _catalog.Details["g-quiet"] = new ContentDetails(Item("g-quiet", "quiet"), [], [], [], []);
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-a")]));

        var page = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-app"));
        var rows = page.FindAll("[data-testid=usage] tbody tr").Select(r => string.Join("|", r.QuerySelectorAll("td").Select(c => c.TextContent.Trim()))).ToList();
        Assert.Equal(["2026-12-06|42|7", "2026-12-05|3|0"], rows);

        var quiet = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-quiet"));
        Assert.Contains("No views or sessions in the last 30 days", quiet.Find("[data-testid=usage]").TextContent);
    }

    [Fact]
    public void Saving_runtime_settings_keeps_a_memory_limit_the_form_does_not_show()
    {
        var item = Item("g-app", "dashboard") with { Overrides = new ProcessOverrides(MaxProcesses: 2, MemoryLimit: 512L << 20) };
        _catalog.Details["g-app"] = new ContentDetails(item, [], [], [], []);
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-a")]));
        var page = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-app"));

        page.FindAll("[data-testid=runtime-settings] input")[1].Change("3");
        page.Find("[data-testid=save-settings]").Click();

        var saved = Assert.Single(_catalog.Saved);
        Assert.Equal(3, saved.MaxProcesses);
        Assert.Equal(512L << 20, saved.MemoryLimit);
    }

    [Fact]
    public void Runtime_settings_are_saved_within_the_limits_and_refused_beyond_them()
    {
        _options.Scheduler.MaxProcessesLimit = 4;
        _catalog.Details["g-app"] = new ContentDetails(Item("g-app", "dashboard"), [], [], [], []);
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-a")]));
        var page = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-app"));
        var maxProcesses = page.FindAll("[data-testid=runtime-settings] input")[1];

        maxProcesses.Change("9");
        page.Find("[data-testid=save-settings]").Click();
        Assert.Contains("max_processes must be between 1 and 4 (Scheduler.MaxProcessesLimit)", page.Find("[data-testid=settings-message]").TextContent);
        Assert.Empty(_catalog.Saved);

        // The API's own bounds hold here too.
        page.FindAll("[data-testid=runtime-settings] input")[1].Change("4");
        page.FindAll("[data-testid=runtime-settings] input")[2].Change("5000");
        page.Find("[data-testid=save-settings]").Click();
        Assert.Contains("max_conns_per_process may be at most 1000", page.Find("[data-testid=settings-message]").TextContent);
        Assert.Empty(_catalog.Saved);
        page.FindAll("[data-testid=runtime-settings] input")[2].Change("");

        page.FindAll("[data-testid=runtime-settings] input")[1].Change("4");
        page.Find("[data-testid=save-settings]").Click();
        Assert.Contains("Saved", page.Find("[data-testid=settings-message]").TextContent);
        Assert.Equal(4, Assert.Single(_catalog.Saved).MaxProcesses);
        Assert.Null(_catalog.Saved[0].MinProcesses);
    }

    [Fact]
    public void An_unknown_item_is_explained()
    {
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, []));

        Assert.Contains("There is no content item nope, or you may not open it", Render<ContentDetail>(p => p.Add(c => c.Guid, "nope")).Markup);
    }

    [Fact]
    public void The_list_is_searched_by_tag_filtered_by_type_and_access_last_deployed_first_with_vanity_urls()
    {
        var now = DateTimeOffset.UnixEpoch.AddDays(100);
        _catalog.Items.Add(Item("g-old", "old-report", AppModes.RmdStatic) with { DeployedAt = now.AddDays(-5), AccessType = AccessTypes.All });
        _catalog.Items.Add(Item("g-new", "new-app") with { DeployedAt = now, AccessType = AccessTypes.Acl });
        _catalog.Items.Add(Item("g-api", "prices-api", AppModes.Api) with { DeployedAt = now.AddDays(-1), AccessType = AccessTypes.LoggedIn });
        _catalog.Vanity["g-new"] = "/sales/";
        _catalog.Tags["g-api"] = ["finance"];
        _feed.Publish(new ClusterSnapshot("SQLite db", 4, 4, [Node("node-a")]));
        var page = Render<ContentList>();
        IReadOnlyList<string> Names() => page.FindAll("[aria-label=Content] tbody tr").Select(r => r.QuerySelector("a")!.TextContent).ToList();

        Assert.Equal(["new-app", "prices-api", "old-report"], Names());
        Assert.Contains("https://connect.example.org/sales/", page.FindAll("[aria-label=Content] tbody tr")[0].TextContent);

        page.Find("[data-testid=content-search]").Input("finance");
        Assert.Equal(["prices-api"], Names());
        page.Find("[data-testid=content-search]").Input("");
        Assert.Equal(3, Names().Count);

        Assert.True(ContentList.Matches(new ContentRow(_catalog.Items[2], null, ["finance"]), "FIN"));
        Assert.False(ContentList.Matches(new ContentRow(_catalog.Items[1], "/sales/", []), "finance"));
    }

    [Fact]
    public void A_start_that_failed_on_a_node_is_said_on_the_items_page_and_listed_under_logs()
    {
        _catalog.Details["g-app"] = new ContentDetails(Item("g-app", "dashboard"), [], [], [], []);
        var failed = new WorkerExit("w9", "g-app", DateTimeOffset.UnixEpoch.AddHours(2), 1, null, BeforeListening: true, "node-b-19700101T020000-abc.log");
        var crashed = new WorkerExit("w8", "g-app", DateTimeOffset.UnixEpoch.AddHours(1), 137, "over its memory limit", BeforeListening: false, "node-b-x.log");
        var other = new WorkerExit("w7", "g-other", DateTimeOffset.UnixEpoch.AddHours(3), 1, null, BeforeListening: true, "y.log");
        var status = Status("node-b", Settings("/m/b"));
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-b")]) { Status = [status with { Live = status.Live with { RecentExits = [crashed, failed, other] } }] });

        var page = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-app"));

        Assert.Contains("failed to start on node-b", page.Find("[data-testid=failed-start]").TextContent);
        Assert.Contains("node-b-19700101T020000-abc.log", page.Find("[data-testid=failed-start]").TextContent);
        var rows = page.FindAll("[data-testid=worker-exits] tbody tr").Select(r => r.TextContent).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("failed to start", rows[0]);
        Assert.Contains("crashed (over its memory limit)", rows[1]);
        Assert.Contains("137", rows[1]);
    }

    [Fact]
    public void The_runtime_tab_lists_the_items_processes_on_every_running_node_with_their_cpu_and_memory()
    {
        _catalog.Details["g-app"] = new ContentDetails(Item("g-app", "dashboard"), [], [], [], []);
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-a"), Node("node-b"), Node("node-c", NodeStatus.Stopped)])
        {
            Status =
            [
                Status("node-a", Settings("/m/a"), [Worker("g-app"), Worker("g-other")]),
                Status("node-b", Settings("/m/b"), [Worker("g-app")]),
                Status("node-c", Settings("/m/c"), [Worker("g-app")]),
            ],
        });

        var page = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-app"));

        var rows = page.FindAll("[data-testid=item-workers] tbody tr").Select(r => r.TextContent).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("node-a", rows[0]);
        Assert.Contains("100 MiB", rows[0]);
        Assert.Contains("node-b", rows[1]);
        Assert.Contains("Its R processes now: 2, using 10% of a core and 200 MiB in all", page.Markup);
    }

    [Fact]
    public void An_item_whose_workers_never_failed_says_nothing_of_it()
    {
        _catalog.Details["g-app"] = new ContentDetails(Item("g-app", "dashboard"), [], [], [], []);
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-b")]) { Status = [Status("node-b", Settings("/m/b"))] });

        var page = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-app"));

        Assert.Empty(page.FindAll("[data-testid=failed-start]"));
        Assert.Contains("None lately", page.Find("[data-testid=worker-exits]").TextContent);
    }

    [Fact]
    public void A_publisher_is_listed_what_the_catalog_gives_her_without_the_cluster_columns()
    {
        _caller = SignIn("pat", UserRole.Publisher, id: 7);
        _catalog.Items.Add(Item("g-mine", "mine"));
        _feed.Publish(new ClusterSnapshot("SQLite db", 4, 4, [Node("node-a")]) { Status = [Status("node-a", Settings("/m/a"), [Worker("g-mine")])] });

        var page = Render<ContentList>();

        Assert.Equal(_caller, _catalog.AskedBy);
        Assert.Contains("mine", page.Find("tbody").TextContent);
        Assert.DoesNotContain("Workers", page.Find("thead").TextContent);
        Assert.DoesNotContain("node-a", page.Markup);
    }

    [Fact]
    public void A_viewer_of_an_item_sees_what_it_is_and_its_url_and_nothing_of_its_history_or_settings()
    {
        _caller = SignIn("vic", UserRole.Viewer, id: 9);
        var item = Item("g-app", "dashboard") with { Description = "Sales by region" };
        _catalog.Details["g-app"] = ContentDetails.ForViewer(item);
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-a")]) { Status = [Status("node-a", Settings("/m/a"), [Worker("g-app")])] });

        var page = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-app"));

        Assert.Equal(_caller, _catalog.AskedBy);
        Assert.Contains("Sales by region", page.Markup);
        Assert.Equal("https://connect.example.org/content/g-app/", page.Find("[data-testid=open-content]").GetAttribute("href"));
        Assert.Empty(page.FindAll("[data-testid=runtime-settings]"));
        Assert.Empty(page.FindAll("[data-testid=save-settings]"));
        Assert.Empty(page.FindAll("[data-testid=show-deploy-log]"));
        Assert.DoesNotContain("Deploys", page.Markup);
        Assert.DoesNotContain("node-a", page.Markup);
    }

    [Fact]
    public void Jobs_lists_queued_running_and_failed_renders_with_node_and_claim_and_follows_changes()
    {
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-a")]));
        var page = Render<Jobs>();
        Assert.Contains("No render is queued or running", page.Markup);

        JobListing Job(long id, string status, string? node, long token) => new(
            new JobRecord(id, 1, 1, "scheduled-render", status, node, token, DateTimeOffset.UnixEpoch, null, null, null,
                status == "failed" ? "node-a stopped reporting" : null, null), "g-rep", "report");
        _feed.Publish(_feed.Current! with { Jobs = [Job(1, "queued", null, 0), Job(2, "running", "node-b", 3), Job(3, "failed", "node-a", 2)] });

        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("[aria-label=Jobs] tbody tr").Count));
        var rows = page.FindAll("[aria-label=Jobs] tbody tr").Select(r => r.TextContent).ToList();
        Assert.Contains("queued", rows[0]);
        Assert.Contains("running", rows[1]);
        Assert.Contains("node-b", rows[1]);
        Assert.Contains("3", rows[1]);
        Assert.Contains("node-a stopped reporting", rows[2]);

        // The queued run is claimed: its row changes in place, as the node and worker tables' rows do.
        var queued = page.FindComponents<MudBlazor.MudTr>()[0].Instance;
        _feed.Publish(_feed.Current! with { Jobs = [Job(1, "running", "node-a", 4), Job(2, "running", "node-b", 3), Job(3, "failed", "node-a", 2)] });
        page.WaitForAssertion(() => Assert.Contains("node-a", page.FindAll("[aria-label=Jobs] tbody tr")[0].TextContent));
        Assert.Same(queued, page.FindComponents<MudBlazor.MudTr>()[0].Instance);
    }

    [Fact]
    public void An_items_page_lists_its_r_packages_and_where_each_comes_from()
    {
        var library = new Connect.Shared.Packages.BundleLibrary("4.2.2", "x86_64-pc-linux-gnu", true,
        [
            new("shiny", "1.7.4", "system", "CRAN", null, null),
            new("conntest", "1.0.0", "cache", "CRAN", "https://cran.example.org", "cache/R-4.2.2/x/conntest/1.0.0/abc"),
        ]);
        _catalog.Details["g-app"] = new ContentDetails(Item("g-app", "dashboard"), [], [], [], [], library);
        _catalog.Details["g-old"] = new ContentDetails(Item("g-old", "old"), [], [], [], []);
        _feed.Publish(new ClusterSnapshot("PostgreSQL db", 4, 4, [Node("node-a")]));

        var rows = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-app")).FindAll("[data-testid=packages] tbody tr").Select(r => r.TextContent).ToList();
        var old = Render<ContentDetail>(p => p.Add(c => c.Guid, "g-old")).Find("[data-testid=packages]").TextContent;

        Assert.Equal(2, rows.Count);
        Assert.Contains("shiny", rows[0]);
        Assert.Contains("system library", rows[0]);
        Assert.Contains("package cache", rows[1]);
        Assert.Contains("https://cran.example.org", rows[1]);
        Assert.Contains("system library as it is", old);
    }

    [Fact]
    public void The_packages_page_shows_the_caches_entries_and_size()
    {
        var cache = new FakePackageCacheView();
        cache.Packages.Add(new CachedPackage(new("R-4.2.2/x86_64-linux", "conntest", "1.0.0", "https://cran.example.org", "/d/1"), 3 << 20));
        cache.Packages.Add(new CachedPackage(new("R-4.2.2/x86_64-linux", "conntestc", "0.1.0", "https://cran.example.org", "/d/2"), 1 << 20));
        Services.AddSingleton<IPackageCacheView>(cache);

        var page = Render<Connect.Admin.Components.Pages.Packages>();

        Assert.Contains("2 entries, 4 MiB in all", page.Find("[data-testid=cache-summary]").TextContent);
        Assert.Equal(2, page.FindAll("tbody tr").Count);
        Assert.Contains("conntestc", page.FindAll("tbody tr")[1].TextContent);
    }

    private sealed class FakePackageCacheView : IPackageCacheView
    {
        public List<CachedPackage> Packages { get; } = [];

        public Task<IReadOnlyList<CachedPackage>> ListAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<CachedPackage>>(Packages);
    }
}
