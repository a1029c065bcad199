using Bunit;
using Connect.Admin.Components.Panels;
using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Content;
using Connect.Shared.Scheduling;
using Connect.Shared.Users;
using Microsoft.Extensions.DependencyInjection;
using static Connect.Admin.Tests.FakeContentCatalog;

namespace Connect.Admin.Tests.Pages;

/// <summary>The panels of an item's page, as its owner (or a collaborator, or an administrator) uses them.</summary>
public sealed class ItemPanelsTests : AdminTestContext
{
    private readonly FakeContentDesk _desk = new();
    private readonly ContentDetails _owned = new(Item("g-app", "dashboard") with { AccessType = AccessTypes.Acl }, [], [], [], []);

    public ItemPanelsTests()
    {
        Services.AddSingleton<IContentDesk>(_desk);
        SignIn("pat", UserRole.Publisher, id: 7);
    }

    [Fact]
    public void Info_saves_a_title_and_description_and_refuses_one_too_long()
    {
        var changed = 0;
        var panel = Render<InfoPanel>(p => p.Add(c => c.Details, _owned).Add(c => c.Changed, () => changed++));

        panel.Find("[data-testid=info-title]").Input("Sales");
        panel.Find("[data-testid=info-description]").Input("By region");
        panel.Find("[data-testid=save-info]").Click();
        Assert.Contains("Saved", panel.Find("[data-testid=info-message]").TextContent);
        Assert.Equal(["info Sales|By region"], _desk.Changes);
        Assert.Equal(1, changed);

        panel.Find("[data-testid=info-title]").Input(new string('t', ContentInfo.MaxTitleLength + 1));
        panel.Find("[data-testid=save-info]").Click();
        Assert.Contains("title may have at most 1024 characters", panel.Find("[data-testid=info-message]").TextContent);
        Assert.Single(_desk.Changes);
    }

    [Fact]
    public void Info_removes_a_tag_and_only_an_administrator_sets_the_vanity_path()
    {
        var finance = new Tag(1, "finance", null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
        _desk.AllTags.Add(finance);
        _desk.ItemTags.Add(finance);
        _desk.Vanity = "/sales/";

        var publisher = Render<InfoPanel>(p => p.Add(c => c.Details, _owned).Add(c => c.Caller, new Caller(7, "pat", UserRole.Publisher)));
        Assert.Contains("finance", publisher.Find("[data-testid=item-tags]").TextContent);
        Assert.Empty(publisher.FindAll("[data-testid=vanity-path]"));
        Assert.Contains("Vanity path: /sales/", publisher.Markup);
        publisher.FindComponent<MudBlazor.MudChip<string>>().Find("button").Click();
        Assert.Contains("untag finance", _desk.Changes);
        Assert.Contains("No tags", publisher.Find("[data-testid=item-tags]").TextContent);

        var administrator = Render<InfoPanel>(p => p.Add(c => c.Details, _owned).Add(c => c.Caller, new Caller(1, "ann", UserRole.Administrator)));
        administrator.Find("[data-testid=vanity-path]").Input("/quarterly/");
        administrator.Find("[data-testid=save-vanity]").Click();
        Assert.Equal("/quarterly/", _desk.Vanity);
    }

    [Fact]
    public void Access_changes_the_access_type_and_shares_with_a_found_user_and_removes_her()
    {
        _desk.Principals.Add(new Principal(PrincipalTypes.User, "u-vic", "vic", CanPublish: false));
        _desk.Principals.Add(new Principal(PrincipalTypes.Group, "g-sales", "sales", CanPublish: true));
        var panel = Render<AccessPanel>(p => p.Add(c => c.Details, _owned));
        Assert.Contains("Nobody yet", panel.Find("[data-testid=shared-with]").TextContent);

        panel.FindAll("[data-testid=access-type] input")[1].Click();
        Assert.Contains($"access {AccessTypes.LoggedIn}", _desk.Changes);

        panel.Find("[data-testid=share-search]").Input("vi");
        panel.Find("[data-testid=share-find]").Click();
        var offer = Assert.Single(panel.FindAll("[data-testid=share-with]"));
        Assert.Contains("vic (user)", offer.TextContent);
        offer.Click();

        Assert.Contains("share vic viewer", _desk.Changes);
        Assert.Contains("vic", panel.Find("[data-testid=shared-with] tbody").TextContent);
        Assert.Contains("viewer", panel.Find("[data-testid=shared-with] tbody").TextContent);

        panel.Find("[data-testid=unshare]").Click();
        Assert.Contains("Nobody yet", panel.Find("[data-testid=shared-with]").TextContent);
    }

    [Fact]
    public void Variables_show_names_only_set_and_remove()
    {
        _desk.Variables.Add("DB_URL");
        var panel = Render<VariablesPanel>(p => p.Add(c => c.Details, _owned));
        Assert.Contains("DB_URL", panel.Find("[data-testid=variables] tbody").TextContent);

        panel.Find("[data-testid=variable-name]").Input("API_TOKEN");
        panel.Find("[data-testid=variable-value]").Input("s3cret-value");
        panel.Find("[data-testid=set-variable]").Click();

        Assert.Contains("set API_TOKEN", _desk.Changes);
        Assert.Contains("API_TOKEN", panel.Find("[data-testid=variables] tbody").TextContent);
        Assert.DoesNotContain("s3cret-value", panel.Markup);

        panel.FindAll("[data-testid=remove-variable]")[0].Click();
        Assert.Contains("unset API_TOKEN", _desk.Changes);
        Assert.DoesNotContain("API_TOKEN", panel.Find("[data-testid=variables] tbody").TextContent);
    }

    [Fact]
    public void Schedules_are_added_paused_run_now_and_deleted_and_a_paused_one_cannot_be_run()
    {
        var schedules = new List<Schedule>
        {
            new(3, 1, "every 1h", "UTC", true, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch),
            new(4, 1, "cron 0 6 * * 1-5", "Europe/Paris", false, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch),
        };
        var report = _owned with { Item = _owned.Item with { AppMode = AppModes.RmdStatic }, Schedules = schedules };
        var panel = Render<SchedulePanel>(p => p.Add(c => c.Details, report));

        Assert.Single(panel.FindAll("[data-testid=run-now]"));
        panel.Find("[data-testid=run-now]").Click();
        panel.FindAll("[data-testid=pause-schedule]")[0].Click();
        panel.FindAll("[data-testid=pause-schedule]")[1].Click();
        panel.FindAll("[data-testid=delete-schedule]")[1].Click();
        Assert.Equal(["run 3", "pause 3", "resume 4", "delete 4"], _desk.Changes);

        panel.Find("[data-testid=add-schedule]").Click();
        Assert.Contains("give exactly one of", panel.Find("[data-testid=schedule-message]").TextContent);
        panel.Find("[data-testid=schedule-interval]").Input("30m");
        panel.Find("[data-testid=add-schedule]").Click();
        Assert.Equal("schedule 30m", _desk.Changes[^1]);
    }

    [Fact]
    public void Logs_list_the_workers_output_and_show_one()
    {
        _desk.Logs["node-a-20261206T120000-abc.log"] = "Listening on http://127.0.0.1\nError in library(nope)";
        var panel = Render<LogsPanel>(p => p.Add(c => c.Details, _owned));

        Assert.Contains("node-a-20261206T120000-abc.log", panel.Find("[data-testid=log-files]").TextContent);
        panel.Find("[data-testid=show-log-file]").Click();
        Assert.Contains("Error in library(nope)", panel.Find("[data-testid=log-file-text]").TextContent);
    }
}
