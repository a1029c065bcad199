using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.Shared.Tests;

internal static class MigratedDatabase
{
    /// <summary>A fresh database of <paramref name="provider"/> at the latest schema.</summary>
    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider)
    {
        var test = await TestDatabase.CreateAsync(provider);
        await new SchemaMigrator(test.Database, NullLogger<SchemaMigrator>.Instance).MigrateAsync("test");
        return test;
    }
}
