using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Connect.Shared.Data;

public static class DatabaseErrors
{
    /// <summary>
    /// True for failures that mean "the database cannot be reached or used right now" (so a retry later
    /// may work), as opposed to a bug or a problem of the request or the disk: a constraint violation,
    /// bad data, a full disk or a file permission error says what it is instead.
    /// </summary>
    public static bool IsConnectionProblem(Exception e) => e switch
    {
        // A client's unreadable request body is an IOException inside; it has nothing to do with the database.
        Microsoft.AspNetCore.Http.BadHttpRequestException => false,
        // Class 22 (data exception) and 23 (integrity constraint violation): the statement was wrong, not the connection.
        PostgresException pg when pg.SqlState.StartsWith("22", StringComparison.Ordinal) || pg.SqlState.StartsWith("23", StringComparison.Ordinal) => false,
        // SQLITE_FULL and SQLITE_CONSTRAINT.
        SqliteException { SqliteErrorCode: 13 or 19 } => false,
        DbException or SocketException or TimeoutException => true,
        _ => e.InnerException is { } inner && IsConnectionProblem(inner),
    };

    /// <summary>A write failed because the disk (or the user's quota) is full: ENOSPC or EDQUOT, which .NET reports as HResult on Linux.</summary>
    public static bool IsDiskFull(Exception e) =>
        e is IOException io && (io.HResult is 28 or 122 || io.Message.Contains("No space left on device", StringComparison.Ordinal))
        || e is SqliteException { SqliteErrorCode: 13 }
        || e.InnerException is { } inner && IsDiskFull(inner);
}
