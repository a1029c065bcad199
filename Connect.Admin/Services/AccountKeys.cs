using Connect.Shared.Access;
using Connect.Shared.Users;

namespace Connect.Admin.Services;

/// <summary>A new key: its secret, shown once; or why it was not made.</summary>
public sealed record NewKey(ApiKey? Key, string? Secret, string? Problem);

/// <summary>The signed-in user's API keys in the dashboard, by the API's rules (<see cref="KeyRules"/>).</summary>
public interface IAccountKeys
{
    /// <summary>The caller's keys, revoked ones included (an administrator's own only: everyone's are on the Users page).</summary>
    Task<IReadOnlyList<ApiKey>> ListAsync(Caller caller, CancellationToken cancellationToken);

    Task<NewKey> CreateAsync(Caller caller, string? name, CancellationToken cancellationToken);

    /// <summary>False when there is no such key the caller may revoke, or it was revoked already.</summary>
    Task<bool> RevokeAsync(Caller caller, long id, CancellationToken cancellationToken);
}

internal sealed class AccountKeys(ApiKeyRepository keys) : IAccountKeys
{
    public async Task<IReadOnlyList<ApiKey>> ListAsync(Caller caller, CancellationToken cancellationToken) =>
        (await keys.ListAsync(caller.Id, cancellationToken)).OrderByDescending(k => k.Id).ToList();

    public async Task<NewKey> CreateAsync(Caller caller, string? name, CancellationToken cancellationToken)
    {
        if (KeyRules.NameProblem(name) is { } problem)
        {
            return new NewKey(null, null, problem);
        }

        var created = await keys.CreateKeyAsync(caller.Id, name!.Trim(), cancellationToken);
        return new NewKey(await keys.GetAsync(created.Id, cancellationToken), created.Secret, null);
    }

    public async Task<bool> RevokeAsync(Caller caller, long id, CancellationToken cancellationToken) =>
        await keys.GetAsync(id, cancellationToken) is { } key && KeyRules.CanRevoke(caller, key) && await keys.RevokeAsync(id, cancellationToken);
}
