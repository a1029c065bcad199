using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Connect.Shared.Security;

/// <summary>A person or group a sign-in provider has, named by a ticket before it is added here.</summary>
/// <param name="Kind"><see cref="RemoteTickets.User"/> or <see cref="RemoteTickets.Group"/>.</param>
/// <param name="UniqueId">The provider's stable id of a person; null for a group (groups are known by name).</param>
public sealed record RemoteAccount(string Kind, string Provider, string Name, string? UniqueId, string? Email);

/// <summary>
/// The product's <c>temp_ticket</c>: what a remote search found, sealed with the cluster's Data Protection keys and
/// good for an hour, so adding a directory user or group takes exactly what the directory said and nothing a caller
/// wrote. A ticket made on one node opens on every node (they share the key ring).
/// </summary>
public sealed class RemoteTickets(IDataProtectionProvider protection)
{
    public const string User = "user";
    public const string Group = "group";

    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    private readonly ITimeLimitedDataProtector _protector = protection.CreateProtector("connect.remote-ticket").ToTimeLimitedDataProtector();

    public string Issue(RemoteAccount account) =>
        _protector.Protect(JsonSerializer.Serialize(account), Lifetime);

    /// <summary>The account a ticket names, or null when it is not one of ours, was changed, is of the wrong kind or has expired.</summary>
    public RemoteAccount? Open(string? ticket, string kind)
    {
        if (string.IsNullOrEmpty(ticket))
        {
            return null;
        }

        try
        {
            // Unprotect refuses a ticket past its lifetime as it refuses a changed one.
            var account = JsonSerializer.Deserialize<RemoteAccount>(_protector.Unprotect(ticket, out _));
            return account?.Kind == kind ? account : null;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or JsonException or FormatException)
        {
            return null;
        }
    }
}
