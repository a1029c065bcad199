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

    /// <summary><c>(&amp;(objectClass=C)(A=V))</c> with <paramref name="value"/> escaped; class and attribute are configuration, checked at start.</summary>
    public static string ClassAnd(string objectClass, string attribute, string value) =>
        $"(&(objectClass={objectClass})({attribute}={Escape(value)}))";
}
