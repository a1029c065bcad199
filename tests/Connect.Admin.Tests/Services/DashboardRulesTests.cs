using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Operations;
using Connect.Shared.Packages;
using Connect.Shared.Security;
using Connect.Shared.Scheduling;
using Connect.Shared.Tasks;
using Connect.Shared.Usage;
using Connect.Shared.Users;
using Connect.Testing;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Admin.Tests.Services;

/// <summary>
/// The dashboard's catalog and desk on a real database, wired as the dashboard wires them (<c>AddConnectData</c>):
/// each role is given what the node's rules give it, and changes go through the API's rules.
/// </summary>
public sealed class DashboardRulesTests : IAsyncLifetime
{
    private TestDatabase _test = null!;
    private ServiceProvider _services = null!;
    private TempDirectory _data = null!;

    public async Task InitializeAsync()
    {
        _test = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);
        await new SchemaMigrator(_test.Database, NullLogger<SchemaMigrator>.Instance).MigrateAsync("test");
        _data = new TempDirectory("connect-dashboard");
        var options = new ConnectOptions { Server = { DataDir = _data.Path } };
        var services = new ServiceCollection().AddConnectData(options);
        services.AddSingleton<ConnectDatabase>(_test.Database);
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddSignInProviders();
        services.AddSingleton<ContentCatalog>();
        services.AddSingleton<ContentDesk>();
        services.AddSingleton<GroupsDesk>();
        services.AddLogging();
        services.AddSingleton<IDashboardAudit, DashboardAudit>();
        services.AddSingleton<AuditedContentDesk>();
        services.AddSingleton<AccountKeys>();
        services.AddSingleton<AuditedAccountKeys>();
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _test.DisposeAsync();
        _data.Dispose();
    }

    private async Task<Caller> UserAsync(string name, UserRole role)
    {
        var user = (await _services.GetRequiredService<UserRepository>().AddAsync(name, role)).User!;
        return new Caller(user.Id, user.Username, role);
    }

    [Fact]
    public async Task Each_role_sees_and_changes_what_the_nodes_rules_allow()
    {
        var pat = await UserAsync("pat", UserRole.Publisher);
        var vic = await UserAsync("vic", UserRole.Viewer);
        var ann = await UserAsync("ann", UserRole.Administrator);
        var contents = _services.GetRequiredService<ContentRepository>();
        var report = (await contents.CreateAsync(pat.Id, "report", "Report")).Content!;
        await contents.CreateAsync(pat.Id, "secret", null);
        var catalog = _services.GetRequiredService<ContentCatalog>();
        var desk = _services.GetRequiredService<ContentDesk>();

        // Before sharing: the viewer sees nothing of pat's (acl by default), not even by its GUID.
        Assert.Empty(await catalog.ListAsync(vic, CancellationToken.None));
        Assert.Null(await catalog.GetAsync(report.Guid, vic, CancellationToken.None));
        Assert.Equal(2, (await catalog.ListAsync(ann, CancellationToken.None)).Count);

        // Pat shares the report with vic as a viewer; a viewer cannot be made a collaborator.
        var owned = (await catalog.GetAsync(report.Guid, pat, CancellationToken.None))!;
        Assert.True(owned.MayChange);
        var vicPrincipal = Assert.Single(await desk.FindPrincipalsAsync(owned, "vi", CancellationToken.None));
        Assert.Equal(ContentSharing.OwnerMustPublish, await desk.ShareAsync(owned, vicPrincipal, ContentRoles.Owner, CancellationToken.None));
        Assert.Null(await desk.ShareAsync(owned, vicPrincipal, ContentRoles.Viewer, CancellationToken.None));
        Assert.Equal("vic", Assert.Single(await desk.SharingAsync(owned, CancellationToken.None)).Name);

        // Now vic sees exactly that item, as a viewer: nothing of its history, and every change refused.
        Assert.Equal(["report"], (await catalog.ListAsync(vic, CancellationToken.None)).Select(r => r.Item.Name));
        var viewed = (await catalog.GetAsync(report.Guid, vic, CancellationToken.None))!;
        Assert.False(viewed.MayChange);
        Assert.Empty(viewed.Deploys);
        Assert.Equal(ContentDesk.Refused, await desk.SetVariableAsync(viewed, "X", "1", CancellationToken.None));
        Assert.Equal(ContentDesk.Refused, await desk.SetAccessTypeAsync(viewed, AccessTypes.All, CancellationToken.None));
        Assert.Empty(await desk.VariableNamesAsync(viewed, CancellationToken.None));

        // Variables: names only, stored encrypted (the node reads them with the same key ring).
        Assert.Null(await desk.SetVariableAsync(owned, "API_TOKEN", "s3cret", CancellationToken.None));
        Assert.Equal(["API_TOKEN"], await desk.VariableNamesAsync(owned, CancellationToken.None));
        Assert.DoesNotContain("s3cret", (await contents.GetEnvironmentAsync(report.Id, CancellationToken.None))["API_TOKEN"]);
        Assert.Equal("s3cret", (await _services.GetRequiredService<ContentEnvironment>().ValuesAsync(report.Id, CancellationToken.None))["API_TOKEN"]);
        Assert.StartsWith("refused", await desk.SetVariableAsync(owned, "bad name", "1", CancellationToken.None));

        // Info through the API's bounds.
        Assert.Null(await desk.UpdateInfoAsync(owned, "Quarterly report", "By region", CancellationToken.None));
        Assert.Equal("Quarterly report", (await contents.GetAsync(report.Id))!.Title);
        Assert.Contains("title may have at most", await desk.UpdateInfoAsync(owned, new string('t', 2000), null, CancellationToken.None));

        // A vanity path is an administrator's to give, through the API's checks; tags are the owner's.
        Assert.Contains("only an administrator", await desk.SetVanityAsync(owned, pat, "/report/", CancellationToken.None));
        Assert.Null(await desk.SetVanityAsync(owned, ann, "/report/", CancellationToken.None));
        Assert.Equal("/report/", await desk.VanityAsync(owned, CancellationToken.None));
        Assert.NotNull(await desk.SetVanityAsync(owned, ann, "/__api__/", CancellationToken.None));
        var tag = (await _services.GetRequiredService<TagRepository>().CreateAsync("finance", null)).Tag!;
        Assert.Null(await desk.TagAsync(owned, tag, true, CancellationToken.None));
        Assert.Equal(["finance"], (await desk.TagsAsync(owned, CancellationToken.None)).Items.Select(t => t.Name));
        Assert.Equal(ContentDesk.Refused, await desk.TagAsync(viewed, tag, false, CancellationToken.None));

        // Schedules: only an R Markdown document can have one.
        Assert.Contains("only a deployed R Markdown document", await desk.CreateScheduleAsync(owned, "1h", null, null, CancellationToken.None));
    }

    [Fact]
    public async Task A_log_name_from_the_page_cannot_leave_the_items_logs_folder()
    {
        var pat = await UserAsync("pat", UserRole.Publisher);
        var item = (await _services.GetRequiredService<ContentRepository>().CreateAsync(pat.Id, "app", null)).Content!;
        var details = (await _services.GetRequiredService<ContentCatalog>().GetAsync(item.Guid, pat, CancellationToken.None))!;
        var desk = _services.GetRequiredService<ContentDesk>();
        var folder = Connect.Shared.Files.DataLayout.ContentLogs(_data.Path, item.Guid);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "node-a-1.log"), "worker output");
        await File.WriteAllTextAsync(Path.Combine(_data.Path, "outside.log"), "not the item's");
        File.CreateSymbolicLink(Path.Combine(folder, "link.log"), Path.Combine(_data.Path, "outside.log"));

        Assert.Equal(["node-a-1.log"], (await desk.LogFilesAsync(details, CancellationToken.None)).Select(f => f.Name));
        Assert.Equal("worker output", await desk.ReadLogAsync(details, "node-a-1.log", CancellationToken.None));
        Assert.Equal("There is no such log.", await desk.ReadLogAsync(details, "../../outside.log", CancellationToken.None));
        Assert.Equal("There is no such log.", await desk.ReadLogAsync(details, "link.log", CancellationToken.None));
    }

    [Fact]
    public async Task A_group_made_in_the_dashboard_and_shared_with_gives_its_members_the_item_and_only_its_maker_changes_it()
    {
        var pat = await UserAsync("pat", UserRole.Publisher);
        var kim = await UserAsync("kim", UserRole.Publisher);
        var vic = await UserAsync("vic", UserRole.Viewer);
        var groups = _services.GetRequiredService<GroupsDesk>();
        var catalog = _services.GetRequiredService<ContentCatalog>();

        Assert.Contains("only publishers and administrators", await groups.CreateAsync(vic, "viewers-club", CancellationToken.None));
        Assert.Null(await groups.CreateAsync(pat, "sales", CancellationToken.None));
        Assert.Contains("already exists", await groups.CreateAsync(kim, "sales", CancellationToken.None));
        var sales = Assert.Single(await groups.ListAsync(CancellationToken.None));
        Assert.Equal(GroupsDesk.NotYours, await groups.AddMemberAsync(kim, sales, "vic", CancellationToken.None));
        Assert.Contains("there is no user", await groups.AddMemberAsync(pat, sales, "nobody", CancellationToken.None));
        Assert.Null(await groups.AddMemberAsync(pat, sales, "vic", CancellationToken.None));
        Assert.Equal(["vic"], (await groups.MembersAsync(sales, CancellationToken.None)).Select(u => u.Username));

        var report = (await _services.GetRequiredService<ContentRepository>().CreateAsync(pat.Id, "report", null)).Content!;
        var owned = (await catalog.GetAsync(report.Guid, pat, CancellationToken.None))!;
        var principal = Assert.Single(await _services.GetRequiredService<ContentDesk>().FindPrincipalsAsync(owned, "sal", CancellationToken.None));
        Assert.Null(await _services.GetRequiredService<ContentDesk>().ShareAsync(owned, principal, ContentRoles.Viewer, CancellationToken.None));
        Assert.Equal(["report"], (await catalog.ListAsync(vic, CancellationToken.None)).Select(r => r.Item.Name));

        // Out of the group, out of the item.
        var member = Assert.Single(await groups.MembersAsync(sales, CancellationToken.None));
        Assert.Null(await groups.RemoveMemberAsync(pat, sales, member, CancellationToken.None));
        Assert.Empty(await catalog.ListAsync(vic, CancellationToken.None));
        Assert.Equal(GroupsDesk.NotYours, await groups.DeleteAsync(kim, sales, CancellationToken.None));
    }

    [Fact]
    public async Task Changes_made_in_the_dashboard_are_in_the_audit_log_as_hers_without_a_secret_and_refusals_are_not()
    {
        var pat = await UserAsync("pat", UserRole.Publisher);
        var vic = await UserAsync("vic", UserRole.Viewer);
        var catalog = _services.GetRequiredService<ContentCatalog>();
        var desk = _services.GetRequiredService<AuditedContentDesk>();
        var report = (await _services.GetRequiredService<ContentRepository>().CreateAsync(pat.Id, "report", null)).Content!;
        var owned = (await catalog.GetAsync(report.Guid, pat, CancellationToken.None))!;

        Assert.Null(await desk.SetVariableAsync(owned, "API_TOKEN", "s3cret-value", CancellationToken.None));
        Assert.Null(await desk.ShareAsync(owned, Assert.Single(await desk.FindPrincipalsAsync(owned, "vic", CancellationToken.None)), ContentRoles.Viewer, CancellationToken.None));
        var key = await _services.GetRequiredService<AuditedAccountKeys>().CreateAsync(pat, "laptop", CancellationToken.None);
        var viewed = (await catalog.GetAsync(report.Guid, vic, CancellationToken.None))!;
        Assert.Equal(ContentDesk.Refused, await desk.SetAccessTypeAsync(viewed, AccessTypes.All, CancellationToken.None));

        var log = await _services.GetRequiredService<UsageRepository>().AuditAsync(null, null, 100, ascending: true, CancellationToken.None);
        Assert.Equal(["update_environment", "add_permission", "add_api_key"], log.Select(e => e.Action));
        Assert.All(log, e => Assert.Equal("pat", e.UserDescription));
        Assert.All(log, e => Assert.Contains("(in the dashboard)", e.EventDescription));
        Assert.Contains("variable API_TOKEN set", log[0].EventDescription);
        Assert.DoesNotContain(log, e => e.EventDescription.Contains("s3cret") || e.EventDescription.Contains(key.Secret!));
    }
}
