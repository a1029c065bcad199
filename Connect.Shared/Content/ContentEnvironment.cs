using Microsoft.AspNetCore.DataProtection;

namespace Connect.Shared.Content;

/// <summary>Outcome of a change to a content item's environment: applied, or why not (naming the variables).</summary>
public sealed record EnvironmentChangeResult(string? Error)
{
    public bool Applied => Error is null;
}

/// <summary>
/// A content item's environment variables, encrypted at rest with the cluster's Data Protection key
/// ring: a copy of the database alone does not give away the secrets publishers put here.
/// </summary>
public sealed class ContentEnvironment(ContentRepository contents, IDataProtectionProvider protection) : IContentVariables
{
    /// <summary>Most variables one item may have.</summary>
    public const int MaxVariables = 100;

    /// <summary>Longest value, in characters.</summary>
    public const int MaxValueLength = 32 * 1024;

    private const string Prefix = "dp1:";

    // Variables that would let content change how R or the sandbox finds its code, or pose as the server.
    private static readonly string[] ReservedNames =
    [
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "LANG", "R_HOME", "R_PROFILE", "R_PROFILE_USER", "R_ENVIRON",
        "R_ENVIRON_USER", "R_CONFIG_ACTIVE", "BASH_ENV", "ENV", "IFS", "PYTHONPATH", "PYTHONHOME",
    ];

    private static readonly string[] ReservedPrefixes = ["LD_", "R_LIBS", "CONNECT_", "RSTUDIO_", "BWRAP"];

    private readonly IDataProtector _protector = protection.CreateProtector("connect.content-environment");

    /// <summary>Why a variable name may not be set, or null when it may.</summary>
    public static string? Refusal(string? name)
    {
        if (name is not { Length: > 0 and <= 128 } || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            return $"'{name}' is not a variable name (letters, digits and '_', not starting with a digit, at most 128)";
        }

        var upper = name.ToUpperInvariant();
        return ReservedNames.Contains(upper) || ReservedPrefixes.Any(p => upper.StartsWith(p, StringComparison.Ordinal))
            ? $"{name} is set by the server or would change how R runs"
            : null;
    }

    public async Task<IReadOnlyList<string>> NamesAsync(long contentId, CancellationToken cancellationToken) =>
        (await contents.GetEnvironmentAsync(contentId, cancellationToken)).Keys.Order(StringComparer.Ordinal).ToList();

    /// <summary>The decrypted variables, for the R processes of the item only.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ValuesAsync(long contentId, CancellationToken cancellationToken) =>
        (await contents.GetEnvironmentAsync(contentId, cancellationToken)).ToDictionary(
            v => v.Key,
            // Values written before encryption existed are read as they are, and encrypted on their next change.
            v => v.Value.StartsWith(Prefix, StringComparison.Ordinal) ? _protector.Unprotect(v.Value[Prefix.Length..]) : v.Value,
            StringComparer.Ordinal);

    /// <summary>Sets (a null value removes) variables, or refuses the whole change naming every bad variable.</summary>
    public async Task<EnvironmentChangeResult> ChangeAsync(long contentId, IReadOnlyDictionary<string, string?> changes, bool replace, CancellationToken cancellationToken)
    {
        var refused = changes.Keys.Select(Refusal).OfType<string>().ToList();
        refused.AddRange(changes.Where(c => c.Value is { Length: > MaxValueLength }).Select(c => $"{c.Key} is longer than {MaxValueLength} characters"));
        if (refused.Count > 0)
        {
            return new EnvironmentChangeResult("refused: " + string.Join("; ", refused));
        }

        var current = await contents.GetEnvironmentAsync(contentId, cancellationToken);
        var all = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (replace)
        {
            foreach (var name in current.Keys)
            {
                all[name] = null;
            }
        }

        foreach (var (name, value) in changes)
        {
            all[name] = value is null ? null : Prefix + _protector.Protect(value);
        }

        var after = current.Keys.Concat(all.Keys).Distinct(StringComparer.Ordinal).Count(n => all.TryGetValue(n, out var v) ? v is not null : true);
        if (after > MaxVariables)
        {
            return new EnvironmentChangeResult($"a content item may have at most {MaxVariables} environment variables; this change would leave {after}");
        }

        await contents.SetEnvironmentAsync(contentId, all, cancellationToken);
        return new EnvironmentChangeResult(null);
    }
}

/// <summary>An item's variables as its R processes get them (decrypted); what the worker pool reads as it starts a worker.</summary>
public interface IContentVariables
{
    Task<IReadOnlyDictionary<string, string>> ValuesAsync(long contentId, CancellationToken cancellationToken);
}
