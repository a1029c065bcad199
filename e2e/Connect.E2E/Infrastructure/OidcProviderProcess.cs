using System.Text.Json;
using Connect.Testing;

namespace Connect.E2E.Infrastructure;

/// <summary>
/// A real OpenID Connect provider (panva's <c>oidc-provider</c> from the npm registry, run by Node.js from
/// <c>e2e/oidc-provider</c>) over HTTPS on a free loopback port, with a certificate of the test's own authority. Its
/// accounts (login → name, e-mail, groups) are read at each sign-in from <see cref="AccountsFile"/>.
/// </summary>
public sealed class OidcProviderProcess : DaemonProcess
{
    public const string ClientId = "connect";
    public const string ClientSecret = "connect-client-secret";

    private OidcProviderProcess(string settings, int port, TestCertificates certificates, string accounts)
        : base("node", [Path.Combine(RepositoryPaths.Root, "e2e", "oidc-provider", "provider.mjs"), settings])
    {
        _tamperFile = Path.Combine(Path.GetDirectoryName(settings)!, "tamper");
        Issuer = $"https://127.0.0.1:{port}";
        Certificates = certificates;
        AccountsFile = accounts;
    }

    private readonly string _tamperFile;

    public string Issuer { get; }

    /// <summary>
    /// While true, the provider's token endpoint answers with ID tokens changed after signing (their subject made
    /// <c>admin</c>), as a man in the middle would.
    /// </summary>
    public bool TamperWithIdTokens
    {
        get => File.Exists(_tamperFile);
        set
        {
            if (value)
            {
                File.WriteAllText(_tamperFile, "on");
            }
            else
            {
                File.Delete(_tamperFile);
            }
        }
    }

    public TestCertificates Certificates { get; }

    public string AccountsFile { get; }

    public sealed record Account(string PreferredUsername, string Email, params string[] Groups);

    /// <param name="appAddresses">The addresses of the processes that sign in through it (nodes, dashboard), for their redirect URIs.</param>
    public static async Task<OidcProviderProcess> StartAsync(TempDirectory temp, IReadOnlyDictionary<string, Account> accounts, IEnumerable<(string Address, string LoginPath)> appAddresses)
    {
        var folder = Directory.CreateDirectory(temp.File($"oidc-{Guid.NewGuid():N}")).FullName;
        var certificates = TestCertificates.Create(folder, "oidc");
        var accountsFile = Path.Combine(folder, "accounts.json");
        WriteAccounts(accountsFile, accounts);
        var port = FreePort.Next();
        var apps = appAddresses.ToList();
        var settings = Path.Combine(folder, "settings.json");
        await File.WriteAllTextAsync(settings, JsonSerializer.Serialize(new
        {
            port,
            cert = certificates.CertFile,
            key = certificates.KeyFile,
            accounts = accountsFile,
            tamperFile = Path.Combine(folder, "tamper"),
            client = new
            {
                client_id = ClientId,
                client_secret = ClientSecret,
                redirect_uris = apps.Select(a => $"{a.Address.TrimEnd('/')}{a.LoginPath}/callback").ToArray(),
                post_logout_redirect_uris = apps.Select(a => $"{a.Address.TrimEnd('/')}{a.LoginPath}/signed-out").ToArray(),
            },
        }));
        var provider = new OidcProviderProcess(settings, port, certificates, accountsFile);
        await Wait.UntilAsync(() =>
        {
            provider.ThrowIfExited("the OpenID provider");
            return provider.Output.Contains($"listening on {port}");
        }, "the OpenID provider to listen", TimeSpan.FromSeconds(30));
        return provider;
    }

    /// <summary>Changes the accounts the provider knows (a rename, other groups); read at the next sign-in.</summary>
    public void SetAccounts(IReadOnlyDictionary<string, Account> accounts) => WriteAccounts(AccountsFile, accounts);

    private static void WriteAccounts(string file, IReadOnlyDictionary<string, Account> accounts) =>
        File.WriteAllText(file, JsonSerializer.Serialize(accounts.ToDictionary(
            a => a.Key, a => new { preferred_username = a.Value.PreferredUsername, email = a.Value.Email, groups = a.Value.Groups })));
}
