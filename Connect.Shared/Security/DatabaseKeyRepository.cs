using System.Xml.Linq;
using Connect.Shared.Data;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Connect.Shared.Security;

/// <summary>
/// Keeps the Data Protection key ring in the database, so every node of a cluster and the admin
/// console protect and read session cookies and secrets with the same keys. Data Protection asks for
/// the keys rarely (at start and about once a day), so the synchronous calls here cost nothing.
/// </summary>
internal sealed class DatabaseKeyRepository(ConnectDatabase database) : IXmlRepository
{
    // Data Protection's interface is synchronous; the queries run on Npgsql's and SQLite's async paths
    // (the same ones every other query of the node takes) and are waited for here.
    public IReadOnlyCollection<XElement> GetAllElements() => Task.Run(async () =>
    {
        await using var connection = await database.OpenAsync();
        return (await connection.QueryAsync<string>("SELECT xml FROM data_protection_keys ORDER BY id")).Select(XElement.Parse).ToList();
    }).GetAwaiter().GetResult();

    public void StoreElement(XElement element, string friendlyName) => Task.Run(async () =>
    {
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(database.Sql("INSERT INTO data_protection_keys (friendly_name, xml, created_at) VALUES (@friendlyName, @xml, {{NOW}})"),
            new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) });
    }).GetAwaiter().GetResult();
}

public static class DataProtectionSetup
{
    /// <summary>The application name every process of a cluster shares, so they read each other's payloads.</summary>
    public const string ApplicationName = "connect";

    /// <summary>Data Protection with the cluster's key ring in the database.</summary>
    public static IServiceCollection AddConnectDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new DatabaseKeyRepository(sp.GetRequiredService<ConnectDatabase>())));
        return services;
    }

    /// <summary>
    /// Reads (or, on a new database, creates) the key ring under the schema lock, so that nodes
    /// starting together agree on one first key instead of each making its own.
    /// </summary>
    public static async Task EnsureKeyRingAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var database = services.GetRequiredService<ConnectDatabase>();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var gate = await database.AcquireSchemaLockAsync(connection, cancellationToken);
        services.GetRequiredService<IDataProtectionProvider>().CreateProtector("connect.startup").Protect([1]);
    }
}
