using System.Security.Claims;
using System.Text.Encodings.Web;
using Connect.Shared.Security;
using Connect.Shared.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Connect.Shared.Access;

namespace Connect.Runtime.Authentication;

/// <summary>
/// <c>Authorization: Key &lt;api key&gt;</c> (or <c>X-RSC-Authorization</c>), as rsconnect and API clients send
/// it. Failures answer in JSON because that is what rsconnect shows its user.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    UserCache users)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Key";

    /// <summary>The key a request carries, or null.</summary>
    public static string? KeyOf(HttpRequest request)
    {
        foreach (var header in (string[])["Authorization", "X-RSC-Authorization"])
        {
            var value = request.Headers[header].ToString();
            if (value.StartsWith("Key ", StringComparison.OrdinalIgnoreCase))
            {
                return value[4..].Trim();
            }
        }

        return null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (KeyOf(Request) is not { } key)
        {
            return AuthenticateResult.NoResult();
        }

        var user = await users.KeyOwnerAsync(key, Context.RequestAborted);
        return user is null
            ? AuthenticateResult.Fail("unknown API key")
            : AuthenticateResult.Success(new AuthenticationTicket(Sessions.Principal(user, SchemeName), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ApiErrors.WriteAsync(Context, StatusCodes.Status401Unauthorized,
            KeyOf(Request) is null
                ? "this request needs an API key: send the header 'Authorization: Key <api key>'"
                : "the API key is not valid on this server (unknown, revoked, or its user is locked)");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiErrors.WriteAsync(Context, StatusCodes.Status403Forbidden, "your role does not allow this");
}

/// <summary>
/// Every error of <c>/__api__</c> in the modelled product's shape, <c>{"code": N, "error": "...", "payload": null}</c>:
/// its clients look for <c>code</c>, and an error without one ends in the client's own generic handler.
/// </summary>
internal static class ApiErrors
{
    /// <summary>The code an error gets when its call site names none: the reference's general code for the status.</summary>
    public static ApiErrorCode DefaultCode(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ApiErrorCode.InvalidParameter,
        StatusCodes.Status401Unauthorized => ApiErrorCode.AuthenticationRequired,
        StatusCodes.Status403Forbidden => ApiErrorCode.OperationDenied,
        StatusCodes.Status404NotFound => ApiErrorCode.NotFound,
        StatusCodes.Status409Conflict => ApiErrorCode.NameTaken,
        _ => ApiErrorCode.InternalFailure,
    };

    private static object Body(int status, string error, ApiErrorCode? code) =>
        new { code = (int)(code ?? DefaultCode(status)), error, payload = (object?)null };

    public static Task WriteAsync(HttpContext context, int status, string error, ApiErrorCode? code = null)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Body(status, error, code));
    }

    public static IResult Result(int status, string error, ApiErrorCode? code = null) => Results.Json(Body(status, error, code), statusCode: status);

    public static IResult NotFound(string error, ApiErrorCode code = ApiErrorCode.NotFound) => Result(StatusCodes.Status404NotFound, error, code);

    public static IResult BadRequest(string error, ApiErrorCode code = ApiErrorCode.InvalidParameter) => Result(StatusCodes.Status400BadRequest, error, code);

    public static IResult Forbidden(string error, ApiErrorCode code = ApiErrorCode.OperationDenied) => Result(StatusCodes.Status403Forbidden, error, code);

    public static IResult Conflict(string error, ApiErrorCode code = ApiErrorCode.NameTaken) => Result(StatusCodes.Status409Conflict, error, code);

    public static IResult Unauthorized(string error) => Result(StatusCodes.Status401Unauthorized, error, ApiErrorCode.AuthenticationRequired);

    public static IResult CannotPublish(Caller caller) =>
        Forbidden($"{caller.Username} is a viewer; publishing needs the publisher or administrator role");

    public static IResult NotCreated(Connect.Shared.Content.CreateContentResult result) => result.NameTaken
        ? Conflict(result.Error!)
        : BadRequest(result.Error!, ApiErrorCode.InvalidContentName);
}
