using System.Runtime.InteropServices;

namespace Connect.Shared.Security.Ldap;

/// <summary>
/// Gives OpenLDAP's library, which System.DirectoryServices.Protocols uses on Linux, a default timeout for its
/// synchronous calls and for connecting. The .NET client binds with a synchronous call that waits as long as the
/// library's default says, which is for ever: a directory that takes the connection and never answers would hold
/// every sign-in (found with a server that accepts and stays silent). Set once per process, as library defaults that
/// every connection made afterwards starts from.
/// </summary>
internal static class LibLdapTimeouts
{
    private const int LdapOptTimeout = 0x5002;
    private const int LdapOptNetworkTimeout = 0x5005;

    // The names .NET itself tries for OpenLDAP's library; loading one it has loaded gives the same library, whose
    // defaults are then the ones its connections read.
    private static readonly string[] LibraryNames = ["libldap.so.2", "libldap-2.6.so.0", "libldap-2.5.so.0", "libldap-2.4.so.2"];

    private static readonly Lock Gate = new();
    private static bool _applied;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeVal
    {
        public nint Seconds;
        public nint Microseconds;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SetOption(nint ld, int option, ref TimeVal value);

    /// <summary>Sets both defaults to <paramref name="timeout"/> (once); false when the library or its function was not found.</summary>
    public static bool Apply(TimeSpan timeout)
    {
        lock (Gate)
        {
            if (_applied)
            {
                return true;
            }

            foreach (var name in LibraryNames)
            {
                if (NativeLibrary.TryLoad(name, out var library) && NativeLibrary.TryGetExport(library, "ldap_set_option", out var function))
                {
                    var setOption = Marshal.GetDelegateForFunctionPointer<SetOption>(function);
                    var value = new TimeVal { Seconds = (nint)Math.Max(1, (long)timeout.TotalSeconds) };
                    // ld = NULL: the library's defaults, which new connections copy.
                    _applied = setOption(0, LdapOptTimeout, ref value) == 0 & setOption(0, LdapOptNetworkTimeout, ref value) == 0;
                    return _applied;
                }
            }

            return false;
        }
    }
}
