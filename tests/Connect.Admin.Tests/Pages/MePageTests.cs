using Bunit;
using Connect.Admin.Components.Pages;
using Connect.Admin.Services;
using Connect.Shared.Access;
using Connect.Shared.Users;
using Microsoft.Extensions.DependencyInjection;

namespace Connect.Admin.Tests.Pages;

public sealed class MePageTests : AdminTestContext
{
    private readonly FakeKeys _keys = new();
    private readonly FakePeople _people = new();

    public MePageTests()
    {
        Services.AddSingleton<IAccountKeys>(_keys);
        Services.AddSingleton<IPeople>(_people);
        Services.AddSingleton<IClusterFeed>(new FakeClusterFeed());
    }

    [Fact]
    public void Someone_signed_in_through_a_provider_is_told_her_password_is_kept_there()
    {
        Options.Authentication.Provider = "oauth2";
        SignIn("pat", UserRole.Publisher, id: 7);
        var page = Render<Me>();
        Assert.Contains("your password is kept there", page.Find("[data-testid=password-elsewhere]").TextContent);
        Assert.Empty(page.FindAll("[data-testid=change-password]"));
    }

    [Fact]
    public void A_user_makes_a_key_sees_its_secret_once_and_revokes_it()
    {
        SignIn("pat", UserRole.Publisher, id: 7);
        var page = Render<Me>();
        Assert.Contains("Signed in as pat, a publisher", page.Find("[data-testid=me-role]").TextContent);
        Assert.Contains("You have no API keys", page.Find("[data-testid=keys]").TextContent);

        page.Find("[data-testid=new-key] input").Input("laptop");
        page.Find("[data-testid=create-key]").Click();

        Assert.Contains("secret-1", page.Find("[data-testid=key-secret]").TextContent);
        Assert.Contains("laptop", page.Find("[data-testid=keys] tbody").TextContent);
        Assert.Equal(7, Assert.Single(_keys.Made).UserId);

        page.Find("[data-testid=revoke-key]").Click();
        Assert.Empty(page.FindAll("[data-testid=key-secret]"));
        Assert.Contains("revoked", page.Find("[data-testid=keys] tbody").TextContent);
        Assert.Empty(page.FindAll("[data-testid=revoke-key]"));

        // The secret is never shown again, not even to her.
        Assert.DoesNotContain("secret-1", Render<Me>().Markup);
    }

    [Fact]
    public void A_key_without_a_name_is_refused_with_the_rule()
    {
        SignIn("vic", UserRole.Viewer, id: 9);
        var page = Render<Me>();

        page.Find("[data-testid=create-key]").Click();

        Assert.Contains("a key needs a name of 1 to 128 characters", page.Find("[data-testid=key-problem]").TextContent);
        Assert.Empty(_keys.Made);
    }

    [Fact]
    public void A_user_changes_her_password_given_her_current_one()
    {
        SignIn("pat", UserRole.Publisher, id: 7);
        _people.Passwords["pat"] = "old password 1";
        var page = Render<Me>();

        page.Find("[data-testid=current-password]").Input("wrong guess");
        page.Find("[data-testid=replacement-password]").Input("new password 22");
        page.Find("[data-testid=save-own-password]").Click();
        Assert.Contains("the current password is not right", page.Find("[data-testid=password-message]").TextContent);

        page.Find("[data-testid=current-password]").Input("old password 1");
        page.Find("[data-testid=replacement-password]").Input("new password 22");
        page.Find("[data-testid=save-own-password]").Click();
        Assert.Contains("Your password is changed", page.Find("[data-testid=password-message]").TextContent);
        Assert.Equal("new password 22", _people.Passwords["pat"]);
    }

    /// <summary>Keys in memory, with the real rules for names and revoking.</summary>
    private sealed class FakeKeys : IAccountKeys
    {
        public List<ApiKey> Made { get; } = [];

        public Task<IReadOnlyList<ApiKey>> ListAsync(Caller caller, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<ApiKey>>(Made.Where(k => k.UserId == caller.Id).ToList());

        public Task<NewKey> CreateAsync(Caller caller, string? name, CancellationToken cancellationToken)
        {
            if (KeyRules.NameProblem(name) is { } problem)
            {
                return Task.FromResult(new NewKey(null, null, problem));
            }

            var key = new ApiKey(Made.Count + 1, caller.Id, caller.Username, name!.Trim(), DateTimeOffset.UnixEpoch, null, null);
            Made.Add(key);
            return Task.FromResult(new NewKey(key, $"secret-{key.Id}", null));
        }

        public Task<bool> RevokeAsync(Caller caller, long id, CancellationToken cancellationToken)
        {
            var index = Made.FindIndex(k => k.Id == id && KeyRules.CanRevoke(caller, k) && k.RevokedAt is null);
            if (index < 0)
            {
                return Task.FromResult(false);
            }

            Made[index] = Made[index] with { RevokedAt = DateTimeOffset.UnixEpoch };
            return Task.FromResult(true);
        }
    }
}
