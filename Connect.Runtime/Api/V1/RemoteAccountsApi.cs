using Connect.Runtime.Api.Json;
using Connect.Runtime.Authentication;
using Connect.Shared.Configuration;
using Connect.Shared.Security;
using Connect.Shared.Security.Ldap;
using Connect.Shared.Users;

namespace Connect.Runtime.Api.V1;

/// <summary>
/// The product's remote creation of users and groups, for the LDAP provider: search the directory
/// (<c>GET /v1/users/remote</c>, <c>/v1/groups/remote</c>), then add whom it found with the search's <c>temp_ticket</c>
/// (<c>PUT /v1/users</c>, <c>/v1/groups</c>), so an item can be shared with a colleague or a directory group before
/// anyone of them has signed in. What is added is what the directory said: the ticket is sealed, not the caller's word.
/// </summary>
internal static class RemoteAccountsApi
{
    private const int DefaultLimit = 20;
    private const int MaxLimit = 500;

    public static void MapRemoteAccountsApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1").RequireAuthorization(AuthenticationSetup.Publishers);

        v1.MapGet("/users/remote", async (string? prefix, int? limit, LdapSignIn ldap, UserRepository users, RemoteTickets tickets, CancellationToken ct) =>
        {
            if (Refusal(ldap, limit) is { } refused)
            {
                return refused;
            }

            if (await ldap.Directory!.SearchPeopleAsync(prefix ?? "", limit ?? DefaultLimit, ct) is not { } people)
            {
                return DirectoryDown();
            }

            var results = new List<object>();
            foreach (var person in people.Where(p => UserRepository.ValidateUsername(p.Username) is null))
            {
                var here = await users.FindByProviderAsync(LdapDirectory.Provider, person.UniqueId, ct);
                var ticket = tickets.Issue(new RemoteAccount(RemoteTickets.User, LdapDirectory.Provider, person.Username, person.UniqueId, person.Email));
                results.Add(here is null
                    ? new
                    {
                        guid = (string?)null, username = person.Username, email = person.Email, first_name = (string?)null, last_name = (string?)null,
                        user_role = (string?)null, locked = false, provider = LdapDirectory.Provider, provider_id = person.UniqueId, temp_ticket = ticket,
                    }
                    : new
                    {
                        guid = (string?)here.Guid, username = here.Username, email = here.Email, first_name = (string?)null, last_name = (string?)null,
                        user_role = (string?)UserJson.From(here).UserRole, locked = here.Locked, provider = LdapDirectory.Provider, provider_id = person.UniqueId,
                        temp_ticket = ticket,
                    });
            }

            return Results.Json(new { results, current_page = 1, total = results.Count });
        });

        v1.MapPut("/users", async (TicketRequest? body, RemoteTickets tickets, UserRepository users, ConnectOptions options, CancellationToken ct) =>
        {
            if (tickets.Open(body?.TempTicket, RemoteTickets.User) is not { UniqueId: { } uniqueId } account)
            {
                return BadTicket("users");
            }

            if (await users.FindByProviderAsync(account.Provider, uniqueId, ct) is { } known)
            {
                return Results.Json(UserJson.From(known));
            }

            var role = Enum.Parse<UserRole>(options.Authorization.DefaultUserRole, ignoreCase: true);
            var added = await users.AddFromProviderAsync(account.Name, role, account.Email, account.Provider, uniqueId, ct);
            // Two callers may add her at once: the second finds her added.
            return (added.User ?? await users.FindByProviderAsync(account.Provider, uniqueId, ct)) is { } user
                ? Results.Json(UserJson.From(user))
                : ApiErrors.Conflict($"the user name {account.Name} belongs to another account on this server", ApiErrorCode.UsernameTaken);
        });

        v1.MapGet("/groups/remote", async (string? prefix, int? limit, LdapSignIn ldap, GroupRepository groups, RemoteTickets tickets, CancellationToken ct) =>
        {
            if (Refusal(ldap, limit) is { } refused)
            {
                return refused;
            }

            if (await ldap.Directory!.SearchGroupsAsync(prefix ?? "", limit ?? DefaultLimit, ct) is not { } names)
            {
                return DirectoryDown();
            }

            var here = (await groups.ListAsync(ct)).Where(g => g.Provider == LdapDirectory.Provider).ToDictionary(g => g.Name, StringComparer.Ordinal);
            var results = names.Where(GroupRepository.IsProviderName).Distinct(StringComparer.Ordinal).Select(name => new
            {
                name,
                guid = here.GetValueOrDefault(name)?.Guid,
                temp_ticket = tickets.Issue(new RemoteAccount(RemoteTickets.Group, LdapDirectory.Provider, name, null, null)),
            }).ToList();
            return Results.Json(new { results, current_page = 1, total = results.Count });
        });

        v1.MapPut("/groups", async (TicketRequest? body, RemoteTickets tickets, GroupRepository groups, CancellationToken ct) =>
        {
            if (tickets.Open(body?.TempTicket, RemoteTickets.Group) is not { } account)
            {
                return BadTicket("groups");
            }

            return await groups.AddFromProviderAsync(account.Name, account.Provider, ct) is { } group
                ? Results.Json(UsersApi.GroupJson(group))
                : ApiErrors.Conflict($"a group made here is named '{account.Name}'", ApiErrorCode.GroupNameTaken);
        });
    }

    /// <summary>Why a remote search cannot be made: not the LDAP provider, or a limit out of range.</summary>
    private static IResult? Refusal(LdapSignIn ldap, int? limit) =>
        ldap.Directory is null
            ? ApiErrors.BadRequest("remote users and groups are searched only with Authentication.Provider = ldap; with other providers they are added at their first sign-in", ApiErrorCode.UnsupportedAction)
            : limit is < 1 or > MaxLimit
                ? ApiErrors.BadRequest($"limit must be from 1 to {MaxLimit}")
                : null;

    private static IResult DirectoryDown() =>
        ApiErrors.Result(StatusCodes.Status503ServiceUnavailable, "the directory cannot be reached just now; try again in a minute");

    private static IResult BadTicket(string what) =>
        ApiErrors.BadRequest($"send {{\"temp_ticket\": ...}} with a ticket from GET /__api__/v1/{what}/remote made within the hour", ApiErrorCode.InvalidParameter);

    internal sealed record TicketRequest(string? TempTicket);
}
