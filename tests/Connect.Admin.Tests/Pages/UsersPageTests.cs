using Bunit;
using Connect.Admin.Components.Pages;
using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Security.Ldap;
using Connect.Shared.Users;
using Microsoft.Extensions.DependencyInjection;

namespace Connect.Admin.Tests.Pages;

public sealed class UsersPageTests : AdminTestContext
{
    private readonly FakePeople _people = new();
    private readonly FakeDirectoryDesk _directory = new();

    public UsersPageTests()
    {
        Services.AddSingleton<IPeople>(_people);
        Services.AddSingleton<IDirectoryDesk>(_directory);
        Services.AddSingleton<IClusterFeed>(new FakeClusterFeed());
        _people.All.Add(new User(1, "g-ann", "ann", null, UserRole.Administrator, false, DateTimeOffset.UnixEpoch));
        _people.All.Add(new User(2, "g-vic", "vic", "vic@example.org", UserRole.Viewer, false, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void A_provider_user_shows_her_provider_and_has_no_password_to_set()
    {
        _people.All.Add(new User(3, "g-lee", "lee", null, UserRole.Viewer, false, DateTimeOffset.UnixEpoch, "ldap", "5f1c-uuid"));
        SignIn("ann", UserRole.Administrator, id: 1);
        var page = Render<Users>();
        Assert.Equal("ldap", page.Find("[data-testid=provider-lee]").TextContent);
        Assert.Equal("a password here", page.Find("[data-testid=provider-vic]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=password-lee]"));
        Assert.Single(page.FindAll("[data-testid=password-vic]"));
    }

    [Fact]
    public void An_administrator_adds_a_user_locks_her_and_sets_her_password_but_cannot_lock_herself()
    {
        SignIn("ann", UserRole.Administrator, id: 1);
        var page = Render<Users>();
        Assert.Contains("vic@example.org", page.Find("[data-testid=users] tbody").TextContent);

        page.Find("[data-testid=new-username]").Input("dee");
        page.Find("[data-testid=save-user]").Click();
        Assert.Contains("dee is added", page.Find("[data-testid=users-message]").TextContent);
        Assert.Contains("dee", page.Find("[data-testid=users] tbody").TextContent);

        page.Find("[data-testid=lock-dee]").Click();
        Assert.True(_people.All.Single(u => u.Username == "dee").Locked);
        Assert.Contains("Unlock", page.Find("[data-testid=lock-dee]").TextContent);

        page.Find("[data-testid=password-dee]").Click();
        page.Find("[data-testid=new-password]").Input("short");
        page.Find("[data-testid=save-password]").Click();
        Assert.Contains("a password needs", page.Find("[data-testid=users-message]").TextContent);
        page.Find("[data-testid=new-password]").Input("a long enough password");
        page.Find("[data-testid=save-password]").Click();
        Assert.Equal("a long enough password", _people.Passwords["dee"]);

        page.Find("[data-testid=lock-ann]").Click();
        Assert.Contains(UserRules.OwnLock, page.Find("[data-testid=users-message]").TextContent);
        Assert.False(_people.All.Single(u => u.Username == "ann").Locked);

        page.Find("[data-testid=new-username]").Input("no/slashes");
        page.Find("[data-testid=save-user]").Click();
        Assert.Contains("is not a valid user name", page.Find("[data-testid=users-message]").TextContent);
    }

    [Fact]
    public void With_a_directory_an_administrator_finds_a_colleague_and_adds_her_before_she_signs_in()
    {
        SignIn("ann", UserRole.Administrator, id: 1);
        Assert.Empty(Render<Users>().FindAll("[data-testid=directory-people]"));

        _directory.Available = true;
        _directory.People.Add(new DirectoryPerson("uid=lee,ou=people", "u-lee", "lee", "lee@example.org", []));
        _directory.Added = name =>
        {
            _people.All.Add(new User(30, "g-lee", name, "lee@example.org", UserRole.Viewer, false, DateTimeOffset.UnixEpoch, "ldap", "u-lee"));
            return null;
        };
        var page = Render<Users>();
        page.Find("[data-testid=directory-prefix]").Input("zz");
        page.Find("[data-testid=directory-find]").Click();
        Assert.Contains("nobody by that name", page.Find("[data-testid=users-message]").TextContent);

        page.Find("[data-testid=directory-prefix]").Input("le");
        page.Find("[data-testid=directory-find]").Click();
        Assert.Contains("lee@example.org", page.Find("[data-testid=found-lee]").TextContent);
        page.Find("[data-testid=add-found-lee]").Click();

        Assert.Contains("lee is added from the directory", page.Find("[data-testid=users-message]").TextContent);
        Assert.Equal("ldap", page.Find("[data-testid=provider-lee]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=found-lee]"));
    }

    [Fact]
    public void A_publisher_is_given_no_users()
    {
        SignIn("pat", UserRole.Publisher, id: 7);

        Assert.DoesNotContain("vic", Render<Users>().Find("[data-testid=users]").TextContent);
    }
}
