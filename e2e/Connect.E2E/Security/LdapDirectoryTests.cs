using Connect.E2E.Infrastructure;
using Connect.Shared.Configuration;
using Connect.Shared.Security.Ldap;
using Connect.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Connect.E2E.Security;

/// <summary>
/// The directory client against a real OpenLDAP (<c>slapd</c>) on loopback, over StartTLS with the test authority's
/// certificate: search-then-bind, groups, escaped filters, and a certificate nobody vouches for refused.
/// </summary>
public sealed class LdapDirectoryTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new("connect-ldap");
    private SlapdProcess _slapd = null!;

    public async Task InitializeAsync() => _slapd = await SlapdProcess.StartAsync(_folder,
    [
        new SlapdProcess.Person("alice", "alice-password", "analysts", "publishers"),
        new SlapdProcess.Person("bob", "bob-password"),
    ]);

    public async Task DisposeAsync()
    {
        await _slapd.DisposeAsync();
        _folder.Dispose();
    }

    private LdapDirectory Directory(string? caFile = null) => new(Options(caFile ?? _slapd.Certificates.CaFile), NullLogger<LdapDirectory>.Instance);

    private LdapOptions Options(string caFile) => new()
    {
        ServerAddress = _slapd.Address,
        StartTLS = true,
        TLSCACertificate = caFile,
        BindDN = SlapdProcess.ServiceDN,
        BindPassword = SlapdProcess.ServicePassword,
        UserSearchBaseDN = "ou=people," + SlapdProcess.BaseDN,
        GroupSearchBaseDN = "ou=groups," + SlapdProcess.BaseDN,
    };

    [Fact]
    public async Task Signs_in_with_the_right_password_only_and_reads_her_groups_and_stable_id()
    {
        var directory = Directory();
        var (verdict, alice) = await directory.SignInAsync("alice", "alice-password", CancellationToken.None);
        Assert.Equal(DirectoryVerdict.SignedIn, verdict);
        Assert.Equal("alice", alice!.Username);
        Assert.Equal("alice@example.org", alice.Email);
        Assert.True(Guid.TryParse(alice.UniqueId, out _), $"entryUUID expected, got {alice.UniqueId}");
        Assert.Equal(["analysts", "publishers"], alice.Groups.Order());
        Assert.Empty((await directory.SignInAsync("bob", "bob-password", CancellationToken.None)).Person!.Groups);

        Assert.Equal(DirectoryVerdict.WrongCredentials, (await directory.SignInAsync("alice", "bob-password", CancellationToken.None)).Verdict);
        Assert.Equal(DirectoryVerdict.WrongCredentials, (await directory.SignInAsync("nobody", "alice-password", CancellationToken.None)).Verdict);
        // An empty password would be an unauthenticated bind, which the directory accepts for any DN.
        Assert.Equal(DirectoryVerdict.WrongCredentials, (await directory.SignInAsync("alice", "", CancellationToken.None)).Verdict);
        // Unescaped, this filter would match every user; escaped it is a name nobody has.
        Assert.Equal(DirectoryVerdict.WrongCredentials, (await directory.SignInAsync("*)(uid=*", "alice-password", CancellationToken.None)).Verdict);
        Assert.Equal(DirectoryVerdict.WrongCredentials, (await directory.SignInAsync("*", "alice-password", CancellationToken.None)).Verdict);

        Assert.True(await directory.StillHasAsync(alice.UniqueId, CancellationToken.None));
        _slapd.Remove("alice");
        Assert.False(await directory.StillHasAsync(alice.UniqueId, CancellationToken.None));
    }

    [Fact]
    public async Task UserFilterBase_leaves_out_whom_the_directory_marks_disabled_at_sign_in_and_at_the_key_check()
    {
        var options = Options(_slapd.Certificates.CaFile);
        options.UserFilterBase = "&(objectClass={UserObjectClass})(!(employeeType=disabled))";
        var directory = new LdapDirectory(options, NullLogger<LdapDirectory>.Instance);
        var (verdict, bob) = await directory.SignInAsync("bob", "bob-password", CancellationToken.None);
        Assert.Equal(DirectoryVerdict.SignedIn, verdict);
        Assert.True(await directory.StillHasAsync(bob!.UniqueId, CancellationToken.None));

        _slapd.Disable("bob");

        Assert.Equal(DirectoryVerdict.WrongCredentials, (await directory.SignInAsync("bob", "bob-password", CancellationToken.None)).Verdict);
        Assert.False(await directory.StillHasAsync(bob.UniqueId, CancellationToken.None));
        // Without the filter he is still there: it is the filter that leaves him out.
        Assert.True(await Directory().StillHasAsync(bob.UniqueId, CancellationToken.None));
        Assert.Equal(DirectoryVerdict.SignedIn, (await directory.SignInAsync("alice", "alice-password", CancellationToken.None)).Verdict);
    }

    [Fact]
    public async Task A_hung_directory_is_given_up_on_after_its_timeout_and_not_asked_again_at_once()
    {
        // A server that takes connections and never answers; it counts them.
        using var hung = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        hung.Start(100);
        var held = new System.Collections.Concurrent.ConcurrentBag<System.Net.Sockets.TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await hung.AcceptTcpClientAsync(stop.Token));
            }
        });
        var options = Options(_slapd.Certificates.CaFile);
        (options.ServerAddress, options.StartTLS, options.Timeout) = ($"127.0.0.1:{((System.Net.IPEndPoint)hung.LocalEndpoint).Port}", false, TimeSpan.FromSeconds(3));
        var directory = new LdapDirectory(options, NullLogger<LdapDirectory>.Instance);

        var (verdict, _) = await directory.SignInAsync("alice", "alice-password", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(DirectoryVerdict.Unreachable, verdict);
        await Wait.UntilAsync(() => !held.IsEmpty, "the hung server to have been asked");
        var asked = held.Count;

        // Just told it is away, callers hear so at once: many sign-ins and checks open no connection to it.
        var many = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => directory.SignInAsync("alice", "alice-password", CancellationToken.None)));
        Assert.All(many, m => Assert.Equal(DirectoryVerdict.Unreachable, m.Verdict));
        Assert.Null(await directory.StillHasAsync("some-id", CancellationToken.None));
        Assert.Equal(asked, held.Count);

        await stop.CancelAsync();
        foreach (var client in held)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task LDAPS_checks_the_certificate_too()
    {
        var ldaps = Options(_slapd.Certificates.CaFile);
        (ldaps.ServerAddress, ldaps.StartTLS, ldaps.TLS) = (_slapd.TlsAddress, false, true);
        Assert.Equal(DirectoryVerdict.SignedIn, (await new LdapDirectory(ldaps, NullLogger<LdapDirectory>.Instance).SignInAsync("alice", "alice-password", CancellationToken.None)).Verdict);

        ldaps.TLSCACertificate = TestCertificates.Create(_folder.File("other-ldaps"), "other").CaFile;
        Assert.Equal(DirectoryVerdict.Unreachable, (await new LdapDirectory(ldaps, NullLogger<LdapDirectory>.Instance).SignInAsync("alice", "alice-password", CancellationToken.None)).Verdict);
    }

    [Fact]
    public async Task A_directory_whose_certificate_no_trusted_authority_signed_is_not_spoken_to()
    {
        var other = TestCertificates.Create(_folder.File("other"), "other");
        var (verdict, person) = await Directory(other.CaFile).SignInAsync("alice", "alice-password", CancellationToken.None);
        Assert.Equal(DirectoryVerdict.Unreachable, verdict);
        Assert.Null(person);
    }
}
