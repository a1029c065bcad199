using Bunit;
using Connect.Admin.Components.Pages;
using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Users;
using Microsoft.Extensions.DependencyInjection;

namespace Connect.Admin.Tests.Pages;

public sealed class GroupsPageTests : AdminTestContext
{
    private readonly FakeGroups _groups = new();
    private readonly FakeDirectoryDesk _directory = new();

    public GroupsPageTests()
    {
        Services.AddSingleton<IGroupsDesk>(_groups);
        Services.AddSingleton<IDirectoryDesk>(_directory);
        Services.AddSingleton<IClusterFeed>(new FakeClusterFeed());
    }

    [Fact]
    public void An_administrator_makes_a_group_adds_and_removes_a_member_and_deletes_it()
    {
        SignIn("ann", UserRole.Administrator, id: 1);
        var page = Render<Groups>();
        Assert.Contains("No groups yet", page.Find("[data-testid=groups]").TextContent);

        page.Find("[data-testid=new-group]").Input("sales");
        page.Find("[data-testid=save-group]").Click();
        Assert.Contains("Group sales is made", page.Find("[data-testid=groups-message]").TextContent);

        page.Find("[data-testid=open-group-sales]").Click();
        page.Find("[data-testid=new-member]").Input("vic");
        page.Find("[data-testid=add-member]").Click();
        Assert.Contains("vic", page.Find("[data-testid=members] tbody").TextContent);
        page.Find("[data-testid=new-member]").Input("nobody");
        page.Find("[data-testid=add-member]").Click();
        Assert.Contains("there is no user 'nobody'", page.Find("[data-testid=groups-message]").TextContent);

        page.Find("[data-testid=remove-member]").Click();
        Assert.Contains("No members", page.Find("[data-testid=members]").TextContent);
        page.Find("[data-testid=delete-group-sales]").Click();
        Assert.Contains("No groups yet", page.Find("[data-testid=groups]").TextContent);
    }

    [Fact]
    public void A_directory_group_shows_where_it_comes_from_and_offers_no_member_changes()
    {
        _groups.Add(new UserGroup(9, "g-analysts", "analysts", null, DateTimeOffset.UnixEpoch, "ldap"), new User(5, "g-lee", "lee", null, UserRole.Viewer, false, DateTimeOffset.UnixEpoch, "ldap", "u-1"));
        SignIn("ann", UserRole.Administrator, id: 1);
        var page = Render<Groups>();
        Assert.Equal("ldap", page.Find("[data-testid=origin-analysts]").TextContent);

        page.Find("[data-testid=open-group-analysts]").Click();
        Assert.Contains("lee", page.Find("[data-testid=members] tbody").TextContent);
        Assert.Contains("come from the sign-in provider (ldap)", page.Find("[data-testid=members-from-provider]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=add-member]"));
        Assert.Empty(page.FindAll("[data-testid=remove-member]"));
    }

    [Fact]
    public void With_a_directory_a_directory_group_is_found_and_added_before_its_members_sign_in()
    {
        _directory.Available = true;
        _directory.Groups.Add("analysts");
        _directory.Added = name =>
        {
            _groups.Add(new UserGroup(11, "g-analysts", name, null, DateTimeOffset.UnixEpoch, "ldap"));
            return null;
        };
        SignIn("ann", UserRole.Administrator, id: 1);
        var page = Render<Groups>();
        page.Find("[data-testid=directory-group-prefix]").Input("ana");
        page.Find("[data-testid=directory-group-find]").Click();
        page.Find("[data-testid=add-found-group-analysts]").Click();

        Assert.Contains("Group analysts is added from the directory", page.Find("[data-testid=groups-message]").TextContent);
        Assert.Equal("ldap", page.Find("[data-testid=origin-analysts]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=found-group-analysts]"));
    }

    /// <summary>Groups in memory with the real rule on who changes one.</summary>
    private sealed class FakeGroups : IGroupsDesk
    {
        private readonly List<UserGroup> _all = [];
        private readonly Dictionary<long, List<User>> _members = [];

        public Task<IReadOnlyList<UserGroup>> ListAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<UserGroup>>(_all.ToList());

        public void Add(UserGroup group, params User[] members)
        {
            _all.Add(group);
            _members[group.Id] = [.. members];
        }

        public Task<IReadOnlyList<User>> MembersAsync(UserGroup group, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<User>>(_members.GetValueOrDefault(group.Id)?.ToList() ?? []);

        public Task<string?> CreateAsync(Caller caller, string? name, CancellationToken cancellationToken)
        {
            var group = new UserGroup(_all.Count + 1, $"g-{name}", name!, caller.Id, DateTimeOffset.UnixEpoch);
            _all.Add(group);
            _members[group.Id] = [];
            return Task.FromResult<string?>(null);
        }

        public Task<string?> DeleteAsync(Caller caller, UserGroup group, CancellationToken cancellationToken) =>
            Task.FromResult(GroupRules.CanChange(caller, group) && _all.Remove(group) ? null : GroupsDesk.NotYours);

        public Task<string?> AddMemberAsync(Caller caller, UserGroup group, string? username, CancellationToken cancellationToken)
        {
            if (username != "vic")
            {
                return Task.FromResult<string?>($"there is no user '{username}'");
            }

            _members[group.Id].Add(new User(9, "g-vic", "vic", null, UserRole.Viewer, false, DateTimeOffset.UnixEpoch));
            return Task.FromResult<string?>(null);
        }

        public Task<string?> RemoveMemberAsync(Caller caller, UserGroup group, User member, CancellationToken cancellationToken)
        {
            _members[group.Id].RemoveAll(u => u.Id == member.Id);
            return Task.FromResult<string?>(null);
        }
    }
}
