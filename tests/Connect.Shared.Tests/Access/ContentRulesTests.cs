using Connect.Shared.Access;
using Connect.Shared.Content;
using Connect.Shared.Tasks;
using Connect.Shared.Users;

namespace Connect.Shared.Tests.Access;

/// <summary>The one set of access rules the node's routes, its content URLs and the console share.</summary>
public sealed class ContentRulesTests
{
    private static readonly Caller Admin = new(1, "admin", UserRole.Administrator);
    private static readonly Caller Owner = new(2, "pat", UserRole.Publisher);
    private static readonly Caller Collaborator = new(3, "sam", UserRole.Publisher);
    private static readonly Caller ViewerListedAsOwner = new(4, "vic", UserRole.Viewer);
    private static readonly Caller Listed = new(5, "lee", UserRole.Viewer);
    private static readonly Caller Stranger = new(6, "sue", UserRole.Publisher);

    /// <summary>The item's permission list: sam and vic as owners (collaborators), lee as a viewer.</summary>
    private static Task<string?> RoleOf(long contentId, long userId, CancellationToken ct) => Task.FromResult(userId switch
    {
        3 or 4 => ContentRoles.Owner,
        5 => ContentRoles.Viewer,
        _ => (string?)null,
    });

    private static ContentItem Item(string access) =>
        new(7, "g", "app", null, null, Owner.Id, "pat", AppModes.Shiny, 1, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch) { AccessType = access };

    [Theory]
    [InlineData("admin", ContentDecision.Allowed, ContentDecision.Allowed)]
    [InlineData("owner", ContentDecision.Allowed, ContentDecision.Allowed)]
    [InlineData("collaborator", ContentDecision.Allowed, ContentDecision.Allowed)]
    [InlineData("viewer listed as owner", ContentDecision.Allowed, ContentDecision.Forbidden)] // owners are publishers
    [InlineData("listed viewer", ContentDecision.Allowed, ContentDecision.Forbidden)]
    [InlineData("stranger", ContentDecision.NotFound, ContentDecision.NotFound)] // as if it did not exist
    public async Task Who_may_see_and_change_an_item_open_to_its_list_only(string who, ContentDecision view, ContentDecision change)
    {
        var caller = who switch
        {
            "admin" => Admin, "owner" => Owner, "collaborator" => Collaborator, "viewer listed as owner" => ViewerListedAsOwner,
            "listed viewer" => Listed, _ => Stranger,
        };

        Assert.Equal(view, await ContentRules.DecideAsync(RoleOf, caller, Item(AccessTypes.Acl), ContentRight.View, CancellationToken.None));
        Assert.Equal(change, await ContentRules.DecideAsync(RoleOf, caller, Item(AccessTypes.Acl), ContentRight.Change, CancellationToken.None));
    }

    [Fact]
    public async Task Open_items_are_seen_by_everyone_they_are_open_to_and_changed_by_their_owners_alone()
    {
        Assert.True(await ContentRules.CanViewAsync(RoleOf, null, Item(AccessTypes.All), CancellationToken.None));
        Assert.False(await ContentRules.CanViewAsync(RoleOf, null, Item(AccessTypes.LoggedIn), CancellationToken.None));
        Assert.True(await ContentRules.CanViewAsync(RoleOf, Stranger, Item(AccessTypes.LoggedIn), CancellationToken.None));
        Assert.Equal(ContentDecision.Forbidden, await ContentRules.DecideAsync(RoleOf, Stranger, Item(AccessTypes.All), ContentRight.Change, CancellationToken.None));
        Assert.Equal(ContentDecision.NotFound, await ContentRules.DecideAsync(RoleOf, Admin, null, ContentRight.View, CancellationToken.None));
    }

    [Fact]
    public void App_roles_name_the_callers_relation_as_the_v1_api_does()
    {
        var item = Item(AccessTypes.Acl);

        Assert.Equal("owner", ContentRules.AppRole(Owner, item, null));
        Assert.Equal("editor", ContentRules.AppRole(Collaborator, item, ContentRoles.Owner));
        Assert.Equal("viewer", ContentRules.AppRole(ViewerListedAsOwner, item, ContentRoles.Owner));
        Assert.Equal("none", ContentRules.AppRole(Admin, item, null));
    }

    [Fact]
    public void Groups_are_changed_by_their_creators_and_tasks_followed_by_theirs_or_an_administrator()
    {
        var group = new UserGroup(1, "g", "analysts", Owner.Id, DateTimeOffset.UnixEpoch);

        Assert.True(GroupRules.CanChange(Owner, group));
        Assert.True(GroupRules.CanChange(Admin, group));
        Assert.False(GroupRules.CanChange(Stranger, group));
        var task = new TaskState("t", 7, Owner.Id, "deploy", "node-a", [], 0, 0, false, null, null, null);
        Assert.True(TaskRules.CanSee(Owner, task));
        Assert.True(TaskRules.CanSee(Admin, task));
        Assert.False(TaskRules.CanSee(Collaborator, task));
    }
}
