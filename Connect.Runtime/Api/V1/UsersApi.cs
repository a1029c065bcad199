using System.Security.Claims;
using Connect.Runtime.Publishing;
using Connect.Shared.Users;
using Connect.Shared.Access;
using Connect.Runtime.Authentication;
using Connect.Runtime.Api.Json;

namespace Connect.Runtime.Api.V1;

/// <summary>The v1 API for the caller, users, groups and API keys.</summary>
internal static class UsersApi
{
    public static void MapUsersApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/__api__/v1").RequireAuthorization();

        // The caller as a user; /__api__/me is the product's other name for it (connectapi asks there).
        foreach (var route in new[] { "/__api__/v1/user", "/__api__/me" })
        {
            app.MapGet(route, async (ClaimsPrincipal principal, UserRepository users, CancellationToken ct) =>
                Results.Json(UserJson.From(await users.FindAsync(Caller.From(principal).Id, ct) ?? throw new InvalidOperationException("the signed-in user is gone"))))
                .RequireAuthorization();
        }

        // The reference's filters: prefix (of the user name or e-mail, any case), user_role and account_status, each
        // a '|'-separated list of what to keep.
        v1.MapGet("/users", async (int? page_number, int? page_size, string? prefix, string? user_role, string? account_status, UserRepository users,
            CancellationToken ct) =>
        {
            var (paging, error) = Paging.From(page_number, page_size);
            if (error is not null)
            {
                return error;
            }

            var roles = Choices(user_role);
            var statuses = Choices(account_status);
            var unknown = roles.Where(r => ParseRole(r) is null).Concat(statuses.Where(a => a is not ("locked" or "licensed" or "inactive"))).ToList();
            if (unknown.Count > 0)
            {
                return ApiErrors.BadRequest($"unknown user_role or account_status: {string.Join(", ", unknown)} (roles: administrator, publisher, viewer; statuses: locked, licensed, inactive)");
            }

            var found = (await users.ListAsync(ct)).Where(u =>
                (prefix is not { Length: > 0 } || u.Username.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || (u.Email?.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ?? false))
                && (roles.Count == 0 || roles.Any(r => ParseRole(r) == u.Role))
                && (statuses.Count == 0 || statuses.Contains(u.Locked ? "locked" : "licensed")));
            return paging.Of(found.ToList(), UserJson.From);
        });

        // By GUID, as the reference names users, or by the numeric id the legacy API gives.
        v1.MapGet("/users/{guid}", async (string guid, UserRepository users, CancellationToken ct) =>
            (await users.FindByGuidAsync(guid, ct) ?? (long.TryParse(guid, out var id) ? await users.FindAsync(id, ct) : null)) is { } user
                ? Results.Json(UserJson.From(user))
                : ApiErrors.NotFound($"user {guid} does not exist"));

        // Administrators add users (the reference's password-provider form; a user without a password signs in once
        // an administrator sets one with `connect users password`).
        v1.MapPost("/users", async (CreateUserRequest? body, UserRepository users, CancellationToken ct) =>
        {
            if (body?.Username is null)
            {
                return ApiErrors.BadRequest("send {\"username\": ..., \"user_role\": ..., \"email\": ..., \"password\": ...}", ApiErrorCode.MissingParameter);
            }

            if (ParseRole(body.UserRole ?? "viewer") is not { } role)
            {
                return ApiErrors.BadRequest($"user_role must be viewer, publisher or administrator, not '{body.UserRole}'", ApiErrorCode.UnknownRole);
            }

            if (UserRepository.ValidateUsername(body.Username) is { } badName)
            {
                return ApiErrors.BadRequest(badName, ApiErrorCode.UsernameNotPermitted);
            }

            if (body.Password is not null && UserRepository.ValidatePassword(body.Password) is { } weak)
            {
                return ApiErrors.BadRequest(weak, ApiErrorCode.WeakPassword);
            }

            var added = await users.AddAsync(body.Username, role, body.Email, body.Password, ct);
            return added.User is { } user
                ? Results.Json(UserJson.From(user), statusCode: StatusCodes.Status201Created)
                : ApiErrors.Conflict(added.Error!, ApiErrorCode.UsernameTaken);
        }).RequireAuthorization(AuthenticationSetup.Administrators);

        v1.MapPatch("/users/{guid}", async (string guid, UpdateUserRequest? body, ClaimsPrincipal principal, UserRepository users, CancellationToken ct) =>
        {
            if (await users.FindByGuidAsync(guid, ct) is not { } user)
            {
                return ApiErrors.NotFound($"user {guid} does not exist");
            }

            if (body is null)
            {
                return ApiErrors.BadRequest("send {\"user_role\": ...} and/or {\"email\": ...}", ApiErrorCode.MissingParameter);
            }

            if (body.UserRole is not null)
            {
                if (ParseRole(body.UserRole) is not { } role)
                {
                    return ApiErrors.BadRequest($"user_role must be viewer, publisher or administrator, not '{body.UserRole}'", ApiErrorCode.UnknownRole);
                }

                if (UserRules.RoleChangeProblem(Caller.From(principal), user, role) is { } problem)
                {
                    return ApiErrors.BadRequest(problem, ApiErrorCode.LastAdministrator);
                }

                await users.SetRoleAsync(user.Id, role, ct);
            }

            if (body.Email is not null)
            {
                await users.SetEmailAsync(user.Id, body.Email.Trim() is { Length: > 0 } email ? email : null, ct);
            }

            return Results.Json(UserJson.From((await users.FindAsync(user.Id, ct))!));
        }).RequireAuthorization(AuthenticationSetup.Administrators);

        v1.MapPost("/users/{guid}/lock", async (string guid, LockRequest? body, ClaimsPrincipal principal, UserRepository users, CancellationToken ct) =>
        {
            if (body?.Locked is not { } locked)
            {
                return ApiErrors.BadRequest("send {\"locked\": true} or {\"locked\": false}");
            }

            if (await users.FindByGuidAsync(guid, ct) is not { } user)
            {
                return ApiErrors.NotFound($"user {guid} does not exist");
            }

            if (UserRules.LockProblem(Caller.From(principal), user, locked) is { } problem)
            {
                return ApiErrors.BadRequest(problem);
            }

            await users.SetLockedAsync(user.Id, locked, ct);
            return Results.Json(UserJson.From((await users.FindAsync(user.Id, ct))!));
        }).RequireAuthorization(AuthenticationSetup.Administrators);

        MapKeys(v1);
        MapGroups(v1);
    }

    private static UserRole? ParseRole(string name) =>
        name.ToLowerInvariant() switch
        {
            "viewer" => UserRole.Viewer,
            "publisher" => UserRole.Publisher,
            "administrator" => UserRole.Administrator,
            _ => null,
        };

    private static void MapKeys(RouteGroupBuilder v1)
    {
        // A caller's own keys; administrators see and revoke everyone's.
        v1.MapGet("/keys", async (ClaimsPrincipal principal, ApiKeyRepository keys, CancellationToken ct) =>
        {
            var caller = Caller.From(principal);
            return Results.Json((await keys.ListAsync(KeyRules.ListedFor(caller), ct)).Select(KeyJson));
        });

        v1.MapPost("/keys", async (CreateKeyRequest? body, ClaimsPrincipal principal, ApiKeyRepository keys, CancellationToken ct) =>
        {
            if (KeyRules.NameProblem(body?.Name) is { } problem)
            {
                return ApiErrors.BadRequest($"send {{\"name\": \"...\"}}: {problem}");
            }

            var created = await keys.CreateKeyAsync(Caller.From(principal).Id, body!.Name!.Trim(), ct);
            var key = (await keys.GetAsync(created.Id, ct))!;
            return Results.Json(new { id = key.Id.ToString(), name = key.Name, created_time = key.CreatedAt, key = created.Secret }, statusCode: StatusCodes.Status201Created);
        });

        v1.MapDelete("/keys/{id:long}", async (long id, ClaimsPrincipal principal, ApiKeyRepository keys, CancellationToken ct) =>
        {
            var caller = Caller.From(principal);
            var key = await keys.GetAsync(id, ct);
            if (key is null || !KeyRules.CanRevoke(caller, key))
            {
                return ApiErrors.NotFound($"API key {id} does not exist");
            }

            await keys.RevokeAsync(id, ct);
            return Results.NoContent();
        });
    }

    private static void MapGroups(RouteGroupBuilder v1)
    {
        // prefix: groups whose name starts with it, any case (clients find groups to share with this way).
        v1.MapGet("/groups", async (int? page_number, int? page_size, string? prefix, GroupRepository groups, CancellationToken ct) =>
        {
            var (paging, error) = Paging.From(page_number, page_size);
            return error ?? paging.Of((await groups.ListAsync(ct)).Where(g => prefix is not { Length: > 0 } || g.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList(), GroupJson);
        });

        v1.MapGet("/groups/{guid}", async (string guid, GroupRepository groups, CancellationToken ct) =>
            await groups.FindByGuidAsync(guid, ct) is { } group ? Results.Json(GroupJson(group)) : ApiErrors.NotFound($"group {guid} does not exist"));

        v1.MapPost("/groups", async (CreateGroupRequest? body, ClaimsPrincipal principal, GroupRepository groups, CancellationToken ct) =>
        {
            if (GroupRepository.ValidateName(body?.Name) is { } problem)
            {
                return ApiErrors.BadRequest(problem);
            }

            return await groups.CreateAsync(body!.Name!, Caller.From(principal).Id, ct) is { } group
                ? Results.Json(GroupJson(group), statusCode: StatusCodes.Status201Created)
                : ApiErrors.Conflict($"a group named '{body.Name}' already exists", ApiErrorCode.GroupNameTaken);
        }).RequireAuthorization(AuthenticationSetup.Publishers);

        v1.MapDelete("/groups/{guid}", async (RoutedGroup routed, GroupRepository groups, CancellationToken ct) =>
        {
            await groups.DeleteAsync(routed.Group.Id, ct);
            return Results.NoContent();
        }).RequireGroupChange();

        v1.MapGet("/groups/{guid}/members", async (string guid, int? page_number, int? page_size, GroupRepository groups, CancellationToken ct) =>
        {
            var (paging, error) = Paging.From(page_number, page_size);
            if (error is not null)
            {
                return error;
            }

            return await groups.FindByGuidAsync(guid, ct) is { } group
                ? paging.Of(await groups.MembersAsync(group.Id, ct), UserJson.From)
                : ApiErrors.NotFound($"group {guid} does not exist");
        });

        v1.MapPost("/groups/{guid}/members", async (RoutedGroup routed, MemberRequest? body, GroupRepository groups, UserRepository users, CancellationToken ct) =>
        {
            if (GroupRules.MembersProblem(routed.Group) is { } fromProvider)
            {
                return ApiErrors.Conflict(fromProvider, ApiErrorCode.OperationDenied);
            }

            if (body?.UserGuid is not { } userGuid || await users.FindByGuidAsync(userGuid, ct) is not { } user)
            {
                return ApiErrors.BadRequest("send {\"user_guid\": \"...\"} naming an existing user");
            }

            await groups.AddMemberAsync(routed.Group.Id, user.Id, ct);
            return Results.NoContent();
        }).RequireGroupChange();

        v1.MapDelete("/groups/{guid}/members/{userGuid}", async (RoutedGroup routed, string userGuid, GroupRepository groups, UserRepository users, CancellationToken ct) =>
            GroupRules.MembersProblem(routed.Group) is { } fromProvider ? ApiErrors.Conflict(fromProvider, ApiErrorCode.OperationDenied)
            : await users.FindByGuidAsync(userGuid, ct) is { } user && await groups.RemoveMemberAsync(routed.Group.Id, user.Id, ct)
                ? Results.NoContent()
                : ApiErrors.NotFound($"user {userGuid} is not a member of group {routed.Group.Guid}")).RequireGroupChange();
    }

    // origin: "local" for a group made here, else the sign-in provider whose group it mirrors.
    internal static object GroupJson(UserGroup g) => new { guid = g.Guid, id = g.Id, name = g.Name, created_time = g.CreatedAt, origin = g.Provider ?? "local" };

    private static object KeyJson(ApiKey k) => new
    {
        id = k.Id.ToString(), name = k.Name, username = k.Username, created_time = k.CreatedAt, last_used_time = k.LastUsedAt,
        revoked_time = k.RevokedAt, active = k.RevokedAt is null,
    };

    internal sealed record LockRequest(bool? Locked);

    internal sealed record CreateUserRequest(string? Username, string? Email, string? Password, string? UserRole);

    internal sealed record UpdateUserRequest(string? Email, string? UserRole);

    internal sealed record CreateKeyRequest(string? Name);

    internal sealed record CreateGroupRequest(string? Name);

    internal sealed record MemberRequest(string? UserGuid);

    private static List<string> Choices(string? list) =>
        (list ?? "").Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => c.ToLowerInvariant()).ToList();
}
