using Npgsql;

namespace Connect.Shared.Data;

/// <summary>Turns <c>Postgres.URL</c> (<c>postgres://user@host:port/db?sslmode=...</c>) and
/// <c>Postgres.Password</c> into an Npgsql connection string.</summary>
public static class PostgresConnectionString
{
    public static bool TryBuild(string url, string? password, out string connectionString, out string? problem)
    {
        connectionString = "";
        problem = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql"))
        {
            problem = $"'{url}' is not a URL such as postgres://user@host:5432/database";
            return false;
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length == 0)
        {
            problem = $"'{url}' names no database (postgres://user@host:5432/database)";
            return false;
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
            ApplicationName = "connect",
            // A database that hangs (frozen, failing over) must neither hold a node's callers for long nor take all of
            // its connection slots: connecting gives up after 5 s, and one node opens at most 40 connections (PostgreSQL
            // allows 100 by default). Both can be changed in the URL (?timeout=10&maximum%20pool%20size=60).
            Timeout = 5,
            MaxPoolSize = 40,
            // A connection whose server vanished without a word is found out within a minute, not hours.
            KeepAlive = 30,
        };

        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        // The separate Postgres.Password key wins, so the URL can be shared without a secret in it.
        if (password is { Length: > 0 })
        {
            builder.Password = password;
        }
        else if (userInfo.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            try
            {
                builder[key] = value;
            }
            catch (ArgumentException)
            {
                problem = $"'{url}' has an unknown or invalid option '{key}={value}'";
                return false;
            }
        }

        connectionString = builder.ConnectionString;
        return true;
    }
}
