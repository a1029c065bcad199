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

    /// <summary>Data Protection with the cluster's key ring in the database, each key encrypted with <c>Server.SecretKeyFile</c>.</summary>
    public static IServiceCollection AddConnectDataProtection(this IServiceCollection services, Configuration.ConnectOptions options)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton(_ => SecretKeyFile.LoadOrCreate(options.SecretKeyPath));
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
        {
            o.XmlRepository = new DatabaseKeyRepository(sp.GetRequiredService<ConnectDatabase>());
            o.XmlEncryptor = new SecretKeyXmlEncryptor(sp.GetRequiredService<SecretKeyFile>());
        }));
        return services;
    }

    /// <summary>
    /// Reads (or, on a new database, creates) the key ring under the schema lock, so that nodes
    /// starting together agree on one first key instead of each making its own.
    /// </summary>
    /// <remarks>
    /// Keys an earlier version stored in plain text are encrypted in place first. A ring encrypted with another secret
    /// key file is refused here, with the file named, instead of failing every session and content variable later.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The secret key file is unusable, or not the one the ring was encrypted with.</exception>
    public static async Task EnsureKeyRingAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var database = services.GetRequiredService<ConnectDatabase>();
        var key = services.GetRequiredService<SecretKeyFile>();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var gate = await database.AcquireSchemaLockAsync(connection, cancellationToken);
        var rows = (await connection.QueryAsync<(long Id, string Xml)>(new CommandDefinition("SELECT id, xml FROM data_protection_keys ORDER BY id", cancellationToken: cancellationToken))).ToList();
        var encryptor = new SecretKeyXmlEncryptor(key);
        foreach (var (id, xml) in rows)
        {
            var element = XElement.Parse(xml);
            if (element.Descendants(SecretKeyXmlEncryptor.Element).Select(e => (string?)e.Attribute("key")).FirstOrDefault(k => k != key.Id) is { } other)
            {
                throw new InvalidOperationException(
                    $"the cluster's key ring is encrypted with another secret key (key {other}) than Server.SecretKeyFile {key.Path} (key {key.Id}): copy that file from another node of the cluster, or from where the console runs");
            }

            if (EncryptPlain(element, encryptor))
            {
                await connection.ExecuteAsync(new CommandDefinition("UPDATE data_protection_keys SET xml = @xml WHERE id = @id",
                    new { id, xml = element.ToString(SaveOptions.DisableFormatting) }, cancellationToken: cancellationToken));
            }
        }

        services.GetRequiredService<IDataProtectionProvider>().CreateProtector("connect.startup").Protect([1]);
    }

    /// <summary>Encrypts the parts of a key an earlier version stored in plain text, in the form Data Protection reads back.</summary>
    private static bool EncryptPlain(XElement key, SecretKeyXmlEncryptor encryptor)
    {
        XNamespace dataProtection = "http://schemas.asp.net/2015/03/dataProtection";
        var plain = key.DescendantsAndSelf().Where(e => (string?)e.Attribute(dataProtection + "requiresEncryption") == "true").ToList();
        foreach (var secret in plain)
        {
            var encrypted = encryptor.Encrypt(new XElement(secret));
            secret.ReplaceWith(new XElement(dataProtection + "encryptedSecret",
                new XAttribute("decryptorType", encrypted.DecryptorType.AssemblyQualifiedName!), encrypted.EncryptedElement));
        }

        return plain.Count > 0;
    }
}
