using Connect.Shared.Users;

namespace Connect.Shared.Access;

/// <summary>API keys: what a key may be called, and who may revoke it. The same for the API and the dashboard.</summary>
public static class KeyRules
{
    public const int MaxNameLength = 128;

    /// <summary>Why <paramref name="name"/> cannot label a key, or null.</summary>
    public static string? NameProblem(string? name) =>
        name?.Trim() is { Length: > 0 and <= MaxNameLength } ? null : $"a key needs a name of 1 to {MaxNameLength} characters to label it";

    /// <summary>Whose keys a caller sees: her own; an administrator everyone's (null).</summary>
    public static long? ListedFor(Caller caller) => caller.IsAdministrator ? null : caller.Id;

    /// <summary>A key is revoked by its user or an administrator.</summary>
    public static bool CanRevoke(Caller caller, ApiKey key) => key.UserId == caller.Id || caller.IsAdministrator;
}
