using System.Data.Common;
using System.Net.Sockets;

namespace Connect.Shared.Data;

public static class DatabaseErrors
{
    /// <summary>True for failures that mean "the database cannot be reached or used", as opposed to a bug.</summary>
    public static bool IsConnectionProblem(Exception e) =>
        e is DbException or SocketException or TimeoutException or UnauthorizedAccessException or IOException
        || e.InnerException is not null && IsConnectionProblem(e.InnerException);
}
