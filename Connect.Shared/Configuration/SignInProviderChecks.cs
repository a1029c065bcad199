using Connect.Shared.Security.Ldap;

namespace Connect.Shared.Configuration;

/// <summary>The keys of the chosen sign-in provider (<c>[LDAP "NAME"]</c>, <c>[OAuth2]</c>), checked with every other key.</summary>
internal static class SignInProviderChecks
{
    public static IEnumerable<(string Key, string Message)> Problems(ConnectOptions o)
    {
        var provider = o.Authentication.Provider;
        if (provider == SignInOptions.Ldap)
        {
            foreach (var problem in Ldap(o))
            {
                yield return problem;
            }
        }

        if (provider == SignInOptions.OAuth2)
        {
            foreach (var problem in OAuth2(o.OAuth2))
            {
                yield return problem;
            }
        }

        if (o.Authentication.BreakGlassNames.Any(n => Users.UserRepository.ValidateUsername(n) is not null))
        {
            yield return ("Authentication.BreakGlassAdministrators", $"'{o.Authentication.BreakGlassAdministrators}' is not a comma-separated list of user names");
        }
    }

    private static IEnumerable<(string, string)> Ldap(ConnectOptions o)
    {
        if (o.LDAP.Count == 0)
        {
            yield return ("LDAP", "Authentication.Provider = ldap needs an [LDAP \"NAME\"] section");
        }

        foreach (var (name, section) in o.LDAP)
        {
            foreach (var problem in LdapSection($"LDAP \"{name}\"", section))
            {
                yield return problem;
            }
        }
    }

    private static IEnumerable<(string, string)> LdapSection(string key, LdapOptions l)
    {
        // host:port, as HTTP.Listen is written, but a host is needed here.
        if (l.ServerAddress is null || !ListenAddress.TryParse(l.ServerAddress, out var server) || server.Host is null)
        {
            yield return ($"{key}.ServerAddress", $"'{l.ServerAddress}' is not host:port");
        }

        if (l.TLS && l.StartTLS)
        {
            yield return ($"{key}.StartTLS", "choose TLS (LDAPS) or StartTLS, not both");
        }

        if (l.TLSCACertificate is { } ca && !File.Exists(ca))
        {
            yield return ($"{key}.TLSCACertificate", $"{ca} does not exist");
        }

        if (string.IsNullOrWhiteSpace(l.BindDN) && !l.AnonymousBind)
        {
            yield return ($"{key}.BindDN", "is needed to search the directory (or set AnonymousBind = true)");
        }

        if (!string.IsNullOrWhiteSpace(l.BindDN) && string.IsNullOrEmpty(l.BindPassword))
        {
            yield return ($"{key}.BindPassword", "is needed with BindDN");
        }

        if (string.IsNullOrWhiteSpace(l.UserSearchBaseDN))
        {
            yield return ($"{key}.UserSearchBaseDN", "is needed: where users are searched");
        }

        foreach (var (attribute, value) in new[]
        {
            ("UserObjectClass", l.UserObjectClass), ("UsernameAttribute", l.UsernameAttribute), ("UniqueIdAttribute", l.UniqueIdAttribute),
            ("UserEmailAttribute", l.UserEmailAttribute), ("GroupObjectClass", l.GroupObjectClass), ("GroupNameAttribute", l.GroupNameAttribute),
            ("GroupMemberAttribute", l.GroupMemberAttribute),
        })
        {
            // An attribute name goes into a search filter as it is: only an LDAP attribute description may.
            if (value.Length == 0 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or ';'))
            {
                yield return ($"{key}.{attribute}", $"'{value}' is not an LDAP attribute name");
            }
        }

        foreach (var (setting, filter) in new[] { ("UserFilterBase", l.UserFilter), ("GroupFilterBase", l.GroupFilter) })
        {
            if (!LdapFilter.IsWellFormedBase(filter))
            {
                yield return ($"{key}.{setting}", $"'{filter}' is not an LDAP filter (e.g. objectClass=person, or &(objectClass=person)(!(employeeType=disabled)))");
            }
        }

        if (l.Timeout <= TimeSpan.Zero)
        {
            yield return ($"{key}.Timeout", "must be positive");
        }

        if (l.UserCheckInterval < TimeSpan.FromSeconds(1))
        {
            yield return ($"{key}.UserCheckInterval", "must be at least 1s");
        }
    }

    private static IEnumerable<(string, string)> OAuth2(OAuth2Options a)
    {
        if (string.IsNullOrWhiteSpace(a.ClientId))
        {
            yield return ("OAuth2.ClientId", "is needed with Authentication.Provider = oauth2");
        }

        if (string.IsNullOrWhiteSpace(a.ClientSecret))
        {
            yield return ("OAuth2.ClientSecret", "is needed with Authentication.Provider = oauth2");
        }

        if (!Uri.TryCreate(a.OpenIDConnectIssuer, UriKind.Absolute, out var issuer) || issuer.Scheme != Uri.UriSchemeHttps)
        {
            yield return ("OAuth2.OpenIDConnectIssuer", $"'{a.OpenIDConnectIssuer}' is not an https URL: the issuer's keys must come over TLS");
        }

        foreach (var (claim, value) in new[] { ("UsernameClaim", a.UsernameClaim), ("UniqueIdClaim", a.UniqueIdClaim), ("EmailClaim", a.EmailClaim), ("GroupsClaim", a.GroupsClaim) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                yield return ($"OAuth2.{claim}", "must name a claim");
            }
        }
    }
}
