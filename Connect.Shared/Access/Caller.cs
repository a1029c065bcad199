using System.Security.Claims;
using Connect.Shared.Security;
using Connect.Shared.Users;

namespace Connect.Shared.Access;

/// <summary>The signed-in caller, read from the claims the handler set.</summary>
public sealed record Caller(long Id, string Username, UserRole Role)
{
    public bool IsAdministrator => Role == UserRole.Administrator;

    public bool CanPublish => Role is UserRole.Publisher or UserRole.Administrator;

    /// <summary>The signed-in caller (by API key or session).</summary>
    public static Caller From(ClaimsPrincipal user) => TryFrom(user) ?? throw new InvalidOperationException("the request is not signed in");

    /// <summary>The caller, or null for an anonymous request.</summary>
    public static Caller? TryFrom(ClaimsPrincipal? user) =>
        user?.Identity?.IsAuthenticated == true && long.TryParse(user.FindFirstValue(Sessions.UserIdClaim), out var id)
            ? new Caller(id, user.Identity.Name!, Enum.Parse<UserRole>(user.FindFirstValue(ClaimTypes.Role)!))
            : null;
}
