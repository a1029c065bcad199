using System.Security.Claims;
using Connect.Shared.Configuration;
using Connect.Shared.Security;

namespace Connect.Shared.Tests.Security;

/// <summary>What an OpenID provider's claims make of a user here.</summary>
public sealed class OpenIdClaimsTests
{
    private static ClaimsPrincipal Claims(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));

    [Fact]
    public void The_subject_names_her_and_groups_come_as_claims_or_as_one_JSON_array()
    {
        var settings = new OAuth2Options { GroupsAutoProvision = true };
        var (identity, problem) = OpenIdSignIn.IdentityOf(Claims(("sub", "s-1"), ("preferred_username", "ann"), ("email", "ann@example.org"),
            ("groups", "a"), ("groups", "[\"b\",\"c\"]")), settings);
        Assert.Null(problem);
        Assert.Equal(("oauth2", "s-1", "ann", "ann@example.org", true), (identity!.Provider, identity.UniqueId, identity.Username, identity.Email, identity.ProvisionGroups));
        Assert.Equal(["a", "b", "c"], identity.Groups);
    }

    [Fact]
    public void Without_a_name_claim_the_email_gives_one_unless_the_claim_is_required()
    {
        var claims = Claims(("sub", "s-1"), ("email", "ann.lee@example.org"));
        Assert.Equal("ann.lee", OpenIdSignIn.IdentityOf(claims, new OAuth2Options()).Identity!.Username);
        Assert.Contains("no preferred_username claim", OpenIdSignIn.IdentityOf(claims, new OAuth2Options { RequireUsernameClaim = true }).Problem);
        Assert.Contains("no sub claim", OpenIdSignIn.IdentityOf(Claims(("preferred_username", "ann")), new OAuth2Options()).Problem);
    }
}
