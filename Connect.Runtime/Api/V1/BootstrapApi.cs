using Connect.Shared.Configuration;
using Connect.Shared.Users;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Connect.Runtime.Authentication;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary>
/// <c>POST /__api__/v1/bootstrap</c> (and the older <c>/v1/experimental/bootstrap</c>): with <c>Bootstrap.Enabled</c>, a
/// fresh server (no users at all) creates its first administrator, <c>admin</c>, for the caller who presents
/// <c>Authorization: Connect-Bootstrap &lt;JWT&gt;</c> signed (HS256) with the secret of <c>Bootstrap.SecretKeyFile</c>, issued
/// by <c>rsconnect-python</c> for <c>rsconnect</c> with the scope <c>bootstrap</c>, and not expired; the answer is that
/// administrator's API key. Once any user exists it refuses.
/// </summary>
internal static class BootstrapApi
{
    private const string Scheme = "Connect-Bootstrap ";

    public static void MapBootstrapApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/__api__/v1/bootstrap", BootstrapAsync);
        app.MapPost("/__api__/v1/experimental/bootstrap", BootstrapAsync);
    }

    private static async Task<IResult> BootstrapAsync(HttpContext context, ConnectOptions options, UserRepository users, ApiKeyRepository keys, CancellationToken ct)
    {
        if (!options.Bootstrap.Enabled || BootstrapSecret.Read(options.Bootstrap.SecretKeyFile, out _) is not { } secret)
        {
            return ApiErrors.NotFound("bootstrapping is not enabled on this server (Bootstrap.Enabled)");
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return ApiErrors.Unauthorized($"send the header 'Authorization: {Scheme}<token>'");
        }

        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(header[Scheme.Length..].Trim(), new TokenValidationParameters
        {
            ValidIssuer = "rsconnect-python",
            ValidAudience = "rsconnect",
            IssuerSigningKey = new SymmetricSecurityKey(secret),
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromMinutes(1),
        });
        if (!validation.IsValid || (validation.Claims.TryGetValue("scope", out var scope) ? scope as string : null) != "bootstrap")
        {
            return ApiErrors.Unauthorized("the bootstrap token is not valid (signature, issuer, audience, expiry or scope)");
        }

        // Two callers at once: the unique name lets exactly one of them create it.
        var added = await users.CountAsync(ct) == 0 ? await users.AddAsync("admin", UserRole.Administrator, cancellationToken: ct) : null;
        if (added?.User is not { } admin)
        {
            return ApiErrors.Forbidden("this server has users already: bootstrapping is only for a fresh server");
        }

        return Results.Json(new { api_key = await keys.CreateAsync(admin.Id, "created by bootstrap", ct) });
    }
}
