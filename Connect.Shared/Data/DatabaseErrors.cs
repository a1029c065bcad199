using System.Data.Common;
using System.Net.Sockets;

namespace Connect.Shared.Data;

public static class DatabaseErrors
{
    /// <summary>True for failures that mean "the database cannot be reached or used", as opposed to a bug.</summary>
    public static bool IsConnectionProblem(Exception e) =>
        // A client's unreadable request body is an IOException too, and has nothing to do with the database.
        e is not Microsoft.AspNetCore.Http.BadHttpRequestException
        && (e is DbException or SocketException or TimeoutException or UnauthorizedAccessException or IOException
        || e.InnerException is not null && IsConnectionProblem(e.InnerException));
}
