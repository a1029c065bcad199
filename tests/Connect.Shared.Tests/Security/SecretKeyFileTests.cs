using System.Security.Cryptography;
using Connect.Shared.Configuration;
using Connect.Shared.Data;
using Connect.Shared.Security;
using Connect.Testing;
using Dapper;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Connect.Shared.Tests.Security;

/// <summary>
/// Server.SecretKeyFile: the key ring in the database is ciphertext without the file, a key ring an earlier version
/// stored in plain text is encrypted in place and still reads, and a node with another key file is told which it needs.
/// </summary>
public sealed class SecretKeyFileTests : IDisposable
{
    private readonly TempDirectory _folder = new("connect-secret-key");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_new_key_file_is_made_for_its_owner_alone_and_an_open_one_is_refused()
    {
        var made = SecretKeyFile.LoadOrCreate(_folder.File("keys/connect.key"));
        var again = SecretKeyFile.LoadOrCreate(_folder.File("keys/connect.key"));
        var open = _folder.File("open.key");
        File.Copy(made.Path, open);
        File.SetUnixFileMode(open, (UnixFileMode)0x1A4); // 0644

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(made.Path));
        Assert.Equal(made.Id, again.Id);
        Assert.Contains("chmod 600", Assert.Throws<InvalidOperationException>(() => SecretKeyFile.LoadOrCreate(open)).Message);
    }

    [Fact]
    public void A_key_encrypted_with_one_file_is_not_read_with_another()
    {
        var one = SecretKeyFile.LoadOrCreate(_folder.File("one.key"));
        var other = SecretKeyFile.LoadOrCreate(_folder.File("other.key"));
        var encrypted = new SecretKeyXmlEncryptor(one).Encrypt(new System.Xml.Linq.XElement("masterKey", "secret"));

        var readBack = new SecretKeyXmlDecryptor(new ServiceCollection().AddSingleton(one).BuildServiceProvider()).Decrypt(encrypted.EncryptedElement);
        var refused = Assert.Throws<CryptographicException>(() =>
            new SecretKeyXmlDecryptor(new ServiceCollection().AddSingleton(other).BuildServiceProvider()).Decrypt(encrypted.EncryptedElement));

        Assert.Equal("secret", readBack.Value);
        Assert.DoesNotContain("secret", encrypted.EncryptedElement.ToString());
        Assert.Contains("copy that file", refused.Message);
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task A_plain_key_ring_is_encrypted_in_place_and_what_it_protected_still_reads(DatabaseProvider provider)
    {
        await using var test = await MigratedDatabase.CreateAsync(provider);
        // As an earlier version left it: the key ring in the database in plain text, a value protected with it.
        var plain = new ServiceCollection().AddSingleton(test.Database).AddDataProtection().SetApplicationName(DataProtectionSetup.ApplicationName).Services;
        plain.AddSingleton<Microsoft.Extensions.Options.IConfigureOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>>(sp =>
            new Microsoft.Extensions.Options.ConfigureOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>(o =>
                o.XmlRepository = new DatabaseKeyRepository(test.Database)));
        var protectedValue = plain.BuildServiceProvider().GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("kept secret");
        Assert.Contains("masterKey", await KeyRingTextAsync(test.Database));

        var options = new ConnectOptions { Server = new ServerOptions { DataDir = _folder.File("data"), SecretKeyFile = _folder.File("connect.key") } };
        var upgraded = new ServiceCollection().AddSingleton(test.Database).AddConnectDataProtection(options).BuildServiceProvider();
        await DataProtectionSetup.EnsureKeyRingAsync(upgraded, CancellationToken.None);
        var stored = await KeyRingTextAsync(test.Database);

        Assert.DoesNotContain("<value>", stored); // no key material left in the database in plain text
        Assert.Contains("connectEncryptedKey", stored);
        Assert.Equal("kept secret", upgraded.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(protectedValue));

        // Another process with another key file is refused, naming the file it needs.
        var stranger = new ConnectOptions { Server = new ServerOptions { DataDir = _folder.File("data"), SecretKeyFile = _folder.File("stranger.key") } };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            DataProtectionSetup.EnsureKeyRingAsync(new ServiceCollection().AddSingleton(test.Database).AddConnectDataProtection(stranger).BuildServiceProvider(), CancellationToken.None));
        Assert.Contains("Server.SecretKeyFile", refused.Message);
    }

    private static async Task<string> KeyRingTextAsync(ConnectDatabase database)
    {
        await using var connection = await database.OpenAsync();
        return string.Join('\n', await connection.QueryAsync<string>("SELECT xml FROM data_protection_keys"));
    }
}
