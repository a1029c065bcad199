using System.Security.Claims;
using System.Text.Encodings.Web;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Connect.Runtime.Authentication;

/// <summary>
/// <c>Authorization: Key &lt;api key&gt;</c>, as rsconnect and the v1 API send it. Failures answer
/// in JSON (<c>{"error": ...}</c>) because that is what rsconnect shows its user.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyRepository keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Key";
    public const string UserIdClaim = "connect:user_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Key ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var user = await keys.FindUserAsync(header[4..].Trim(), Context.RequestAborted);
        if (user is null)
        {
            return AuthenticateResult.Fail("unknown API key");
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.Name, user.Username),
                new Claim(UserIdClaim, user.Id.ToString()),
                new Claim(ClaimTypes.Role, user.Role.ToString()),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ApiErrors.WriteAsync(Context, StatusCodes.Status401Unauthorized,
            Request.Headers.Authorization.Count == 0
                ? "this request needs an API key: send the header 'Authorization: Key <api key>'"
                : "the API key is not valid on this server");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiErrors.WriteAsync(Context, StatusCodes.Status403Forbidden, "your role does not allow this");
}

internal static class ApiErrors
{
    public static Task WriteAsync(HttpContext context, int status, string error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error });
    }

    public static IResult Result(int status, string error) => Results.Json(new { error }, statusCode: status);

    public static IResult NotFound(string error) => Result(StatusCodes.Status404NotFound, error);

    public static IResult BadRequest(string error) => Result(StatusCodes.Status400BadRequest, error);

    public static IResult Forbidden(string error) => Result(StatusCodes.Status403Forbidden, error);

    public static IResult CannotPublish(Caller caller) =>
        Forbidden($"{caller.Username} is a viewer; publishing needs the publisher or administrator role");

    public static IResult NotCreated(Connect.Shared.Content.CreateContentResult result) =>
        Result(result.NameTaken ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest, result.Error!);
}

/// <summary>The signed-in caller, read from the claims the handler set.</summary>
internal sealed record Caller(long Id, string Username, UserRole Role)
{
    public bool IsAdministrator => Role == UserRole.Administrator;

    public bool CanPublish => Role is UserRole.Publisher or UserRole.Administrator;

    /// <summary>Owners change their content; administrators change anyone's.</summary>
    public bool CanChange(Connect.Shared.Content.ContentItem content) => IsAdministrator || content.OwnerId == Id;

    public static Caller From(ClaimsPrincipal user) => new(
        long.Parse(user.FindFirstValue(ApiKeyAuthenticationHandler.UserIdClaim)!),
        user.Identity!.Name!,
        Enum.Parse<UserRole>(user.FindFirstValue(ClaimTypes.Role)!));
}
