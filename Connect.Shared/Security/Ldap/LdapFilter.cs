using System.Text;

namespace Connect.Shared.Security.Ldap;

/// <summary>Values put into LDAP search filters, escaped as RFC 4515 says, so a user name such as <c>*)(uid=*</c> is only a name.</summary>
public static class LdapFilter
{
    public static string Escape(string value)
    {
        var escaped = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            // The filter's own syntax and NUL are escaped; so is every byte outside printable ASCII, which is always allowed.
            if (b is (byte)'*' or (byte)'(' or (byte)')' or (byte)'\\' or 0 || b >= 0x7f || b < 0x20)
            {
                escaped.Append('\\').Append(b.ToString("x2"));
            }
            else
            {
                escaped.Append((char)b);
            }
        }

        return escaped.ToString();
    }

    /// <summary>
    /// <c>(&amp;(B)(A=V))</c>: the configured base filter <paramref name="baseFilter"/> (with or without its outer
    /// parentheses) and <paramref name="value"/>, escaped; base and attribute are configuration, checked at start.
    /// </summary>
    public static string And(string baseFilter, string attribute, string value) =>
        $"(&{Parenthesised(baseFilter)}({attribute}={Escape(value)}))";

    /// <summary>
    /// Unique-id attributes the directory keeps as a 16-byte GUID, not as text: Active Directory's <c>objectGUID</c>
    /// and eDirectory's <c>GUID</c>. Read, they become the GUID's text; searched, the GUID's bytes.
    /// </summary>
    public static bool IsBinaryGuid(string attribute) =>
        attribute.Equals("objectGUID", StringComparison.OrdinalIgnoreCase) || attribute.Equals("GUID", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>(&amp;(B)(A=V))</c> for a unique id: a binary GUID attribute is matched by the GUID's bytes, each escaped.</summary>
    public static string UniqueId(string baseFilter, string attribute, string uniqueId) =>
        IsBinaryGuid(attribute) && Guid.TryParse(uniqueId, out var guid)
            ? $"(&{Parenthesised(baseFilter)}({attribute}={string.Concat(guid.ToByteArray().Select(b => $"\\{b:x2}"))}))"
            : And(baseFilter, attribute, uniqueId);

    /// <summary><c>(&amp;(B)(A=V*))</c>: <paramref name="prefix"/> escaped, so only the trailing <c>*</c> is a wildcard.</summary>
    public static string StartsWith(string baseFilter, string attribute, string prefix) =>
        $"(&{Parenthesised(baseFilter)}({attribute}={Escape(prefix)}*))";

    /// <summary>A filter in one pair of parentheses: <c>objectClass=x</c> and <c>(objectClass=x)</c> alike.</summary>
    public static string Parenthesised(string filter) => IsOneFilter(filter) ? filter : $"({filter})";

    /// <summary>Whether <paramref name="filter"/> is one parenthesised filter: its first parenthesis closes at its end.</summary>
    public static bool IsOneFilter(string filter)
    {
        if (filter.Length < 3 || filter[0] != '(' || filter[^1] != ')')
        {
            return false;
        }

        var depth = 0;
        for (var i = 0; i < filter.Length; i++)
        {
            depth += filter[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth == 0 && i < filter.Length - 1)
            {
                return false;
            }
        }

        return depth == 0;
    }

    /// <summary>
    /// Whether a configured base filter is well formed as far as can be told here: parentheses that balance, none
    /// empty, no NUL, and one filter once parenthesised. What the directory makes of it, it says at the first search.
    /// </summary>
    public static bool IsWellFormedBase(string filter)
    {
        if (string.IsNullOrWhiteSpace(filter) || filter.Contains('\0') || filter.Contains("()", StringComparison.Ordinal))
        {
            return false;
        }

        var depth = 0;
        foreach (var c in filter)
        {
            depth += c switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth < 0)
            {
                return false;
            }
        }

        // "((" is never LDAP: after a parenthesis comes an operator or an attribute (a value's own parenthesis is escaped).
        var whole = Parenthesised(filter);
        return depth == 0 && IsOneFilter(whole) && !whole.Contains("((", StringComparison.Ordinal);
    }
}
