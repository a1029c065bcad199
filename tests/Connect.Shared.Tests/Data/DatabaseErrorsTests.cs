using System.Net.Sockets;
using Connect.Shared.Data;
using Microsoft.Data.Sqlite;

namespace Connect.Shared.Tests.Data;

/// <summary>Only a failure to reach the database is called that; a full disk or a bad statement says what it is.</summary>
public sealed class DatabaseErrorsTests
{
    public static TheoryData<string, Exception, bool, bool> Cases => new()
    {
        { "connection refused", new Npgsql.NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)), true, false },
        { "timeout", new TimeoutException("pool exhausted"), true, false },
        { "sqlite busy", new SqliteException("database is locked", 5), true, false },
        { "sqlite full", new SqliteException("database or disk is full", 13), false, true },
        { "sqlite constraint", new SqliteException("UNIQUE constraint failed", 19), false, false },
        { "disk full writing a file", new IOException("No space left on device : '/data/x'", 28), false, true },
        { "permission denied on a file", new UnauthorizedAccessException("Access to the path '/data/x' is denied."), false, false },
        { "wrapped connection problem", new InvalidOperationException("outer", new TimeoutException("inner")), true, false },
        { "a bug", new InvalidOperationException("nope"), false, false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_failure_is_named_for_what_it_is(string what, Exception error, bool unreachable, bool diskFull)
    {
        _ = what;
        Assert.Equal((unreachable, diskFull), (DatabaseErrors.IsConnectionProblem(error), DatabaseErrors.IsDiskFull(error)));
    }
}
