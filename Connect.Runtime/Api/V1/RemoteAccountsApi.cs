using System.Security.Claims;
using Connect.Runtime.Api.Json;
using Connect.Runtime.Authentication;
using Connect.Shared.Access;
using Connect.Shared.Security.Ldap;

namespace Connect.Runtime.Api.V1;

/// <summary>
/// The product's remote creation of users and groups, for the LDAP provider (<see cref="DirectoryAccounts"/>):
/// <c>GET /v1/users/remote</c> and <c>/v1/groups/remote</c> search the directory and give each one found a
/// <c>temp_ticket</c>; <c>PUT /v1/users</c> and <c>/v1/groups</c> add what a ticket names.
/// </summary>
internal static class RemoteAccountsApi
{
    public static void MapRemoteAccountsApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1").RequireAuthorization(AuthenticationSetup.Publishers);

        v1.MapGet("/users/remote", async (string? prefix, int? limit, ClaimsPrincipal principal, DirectoryAccounts directory, CancellationToken ct) =>
            Answer(await directory.SearchPeopleAsync(Caller.From(principal), prefix, limit, ct), found => Page(found.Select(RemoteUserJson.From).ToList())));

        v1.MapPut("/users", async (TicketRequest? body, ClaimsPrincipal principal, DirectoryAccounts directory, CancellationToken ct) =>
            Answer(await directory.AddUserAsync(Caller.From(principal), body?.TempTicket, ct), user => Results.Json(UserJson.From(user)), ApiErrorCode.UsernameTaken));

        v1.MapGet("/groups/remote", async (string? prefix, int? limit, ClaimsPrincipal principal, DirectoryAccounts directory, CancellationToken ct) =>
            Answer(await directory.SearchGroupsAsync(Caller.From(principal), prefix, limit, ct),
                found => Page(found.Select(f => new { name = f.Name, guid = f.Here?.Guid, temp_ticket = f.Ticket }).ToList())));

        v1.MapPut("/groups", async (TicketRequest? body, ClaimsPrincipal principal, DirectoryAccounts directory, CancellationToken ct) =>
            Answer(await directory.AddGroupAsync(Caller.From(principal), body?.TempTicket, ct), group => Results.Json(UsersApi.GroupJson(group)), ApiErrorCode.GroupNameTaken));
    }

    /// <summary>The product's remote search page: everything found, on one page.</summary>
    private static IResult Page<T>(IReadOnlyList<T> results) => Results.Json(new { results, current_page = 1, total = results.Count });

    private static IResult Answer<T>(DirectoryOutcome<T> outcome, Func<T, IResult> found, ApiErrorCode taken = ApiErrorCode.NameTaken) => outcome.Refusal switch
    {
        DirectoryRefusal.None => found(outcome.Value!),
        DirectoryRefusal.Denied => ApiErrors.Forbidden(outcome.Problem!),
        DirectoryRefusal.NotLdap => ApiErrors.BadRequest(outcome.Problem!, ApiErrorCode.UnsupportedAction),
        DirectoryRefusal.Down => ApiErrors.Result(StatusCodes.Status503ServiceUnavailable, outcome.Problem!),
        DirectoryRefusal.NameTaken => ApiErrors.Conflict(outcome.Problem!, taken),
        _ => ApiErrors.BadRequest(outcome.Problem!),
    };

    internal sealed record TicketRequest(string? TempTicket);
}
