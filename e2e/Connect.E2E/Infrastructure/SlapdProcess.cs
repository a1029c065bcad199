using System.DirectoryServices.Protocols;
using System.Net;
using Connect.Testing;

namespace Connect.E2E.Infrastructure;

/// <summary>
/// Debian's OpenLDAP server (<c>slapd</c>) on free loopback ports (plain with StartTLS, and LDAPS), on a certificate
/// of the test's own authority, and the people and groups of <see cref="Ldif"/> loaded before it starts: dc=example,dc=org with a service
/// account, users in ou=people, groupOfNames groups in ou=groups.
/// </summary>
public sealed class SlapdProcess : DaemonProcess
{
    public const string BaseDN = "dc=example,dc=org";
    public const string ServiceDN = "cn=connect,dc=example,dc=org";
    public const string ServicePassword = "service-secret";
    private const string RootDN = "cn=admin,dc=example,dc=org";
    private const string RootPassword = "root-secret";

    private SlapdProcess(string program, string config, int port, int tlsPort, TestCertificates certificates)
        : base(program, ["-d", "0", "-h", $"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tlsPort}/", "-f", config])
    {
        Port = port;
        TlsPort = tlsPort;
        Certificates = certificates;
    }

    public int Port { get; }

    /// <summary>The LDAPS port (TLS from the first byte).</summary>
    public int TlsPort { get; }

    public TestCertificates Certificates { get; }

    public string Address => $"127.0.0.1:{Port}";

    public string TlsAddress => $"127.0.0.1:{TlsPort}";

    /// <summary>A user: uid, password, and the groups (cn) she is in.</summary>
    public sealed record Person(string Uid, string Password, params string[] Groups);

    public static async Task<SlapdProcess> StartAsync(TempDirectory temp, IReadOnlyList<Person> people)
    {
        var folder = Directory.CreateDirectory(temp.File($"slapd-{Guid.NewGuid():N}")).FullName;
        Directory.CreateDirectory(Path.Combine(folder, "db"));
        var certificates = TestCertificates.Create(folder, "ldap");
        var config = Path.Combine(folder, "slapd.conf");
        await File.WriteAllTextAsync(config, $"""
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            include /etc/ldap/schema/nis.schema
            pidfile {folder}/slapd.pid
            modulepath /usr/lib/ldap
            moduleload back_mdb
            TLSCACertificateFile {certificates.CaFile}
            TLSCertificateFile {certificates.CertFile}
            TLSCertificateKeyFile {certificates.KeyFile}
            database mdb
            maxsize 104857600
            suffix "{BaseDN}"
            rootdn "{RootDN}"
            rootpw {RootPassword}
            directory {folder}/db
            access to attrs=userPassword by self read by anonymous auth by * none
            access to * by users read by * none
            """);
        var ldif = Path.Combine(folder, "people.ldif");
        await File.WriteAllTextAsync(ldif, Ldif(people));
        // A copy of the program: an AppArmor profile for /usr/sbin/slapd (Debian ships one) would keep it from the
        // test's folder. slapadd is slapd under another name.
        var slapd = Path.Combine(folder, "slapd");
        File.Copy("/usr/sbin/slapd", slapd);
        File.CreateSymbolicLink(Path.Combine(folder, "slapadd"), slapd);
        var load = await HostCommand.RunAsync(Path.Combine(folder, "slapadd"), "-f", config, "-l", ldif);
        if (load.Code != 0)
        {
            throw new InvalidOperationException($"slapadd failed:\n{load.Output}");
        }

        var port = FreePort.Next();
        var server = new SlapdProcess(slapd, config, port, FreePort.Next(), certificates);
        await Wait.UntilAsync(() =>
        {
            server.ThrowIfExited("slapd");
            using var connection = server.Connect();
            try
            {
                connection.Bind(new NetworkCredential(ServiceDN, ServicePassword));
                return Task.FromResult(true);
            }
            catch (LdapException)
            {
                return Task.FromResult(false);
            }
        }, "slapd to answer", TimeSpan.FromSeconds(30));
        return server;
    }

    /// <summary>
    /// An <c>[LDAP "NAME"]</c> section of a node's configuration for this server: StartTLS with the test's authority,
    /// the service account, people and groups; <paramref name="more"/> adds keys (<c>Timeout = 2s</c>, ...).
    /// </summary>
    public string Section(string name, params string[] more) => $"""
        [LDAP "{name}"]
        ServerAddress = {Address}
        StartTLS = true
        TLSCACertificate = {Certificates.CaFile}
        BindDN = {ServiceDN}
        BindPassword = {ServicePassword}
        UserSearchBaseDN = ou=people,{BaseDN}
        GroupSearchBaseDN = ou=groups,{BaseDN}

        """ + string.Concat(more.Select(line => line + "\n"));

    /// <summary>Removes a person from the directory, as her organisation does when she leaves.</summary>
    public void Remove(string uid)
    {
        using var connection = Connect();
        connection.Bind(new NetworkCredential(RootDN, RootPassword));
        connection.SendRequest(new DeleteRequest($"uid={uid},ou=people,{BaseDN}"));
    }

    /// <summary>Marks a person disabled (<c>employeeType: disabled</c>), as a directory keeps someone who may not sign in.</summary>
    public void Disable(string uid)
    {
        using var connection = Connect();
        connection.Bind(new NetworkCredential(RootDN, RootPassword));
        connection.SendRequest(new ModifyRequest($"uid={uid},ou=people,{BaseDN}", DirectoryAttributeOperation.Add, "employeeType", "disabled"));
    }

    private LdapConnection Connect() => new(new LdapDirectoryIdentifier("127.0.0.1", Port)) { AuthType = AuthType.Basic, SessionOptions = { ProtocolVersion = 3 } };

    private static string Ldif(IReadOnlyList<Person> people)
    {
        var entries = new List<string>
        {
            $"dn: {BaseDN}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example",
            $"dn: {ServiceDN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: connect\nuserPassword: {ServicePassword}",
            $"dn: ou=people,{BaseDN}\nobjectClass: organizationalUnit\nou: people",
            $"dn: ou=groups,{BaseDN}\nobjectClass: organizationalUnit\nou: groups",
        };
        entries.AddRange(people.Select(p =>
            $"dn: uid={p.Uid},ou=people,{BaseDN}\nobjectClass: inetOrgPerson\nuid: {p.Uid}\ncn: {p.Uid}\nsn: {p.Uid}\nmail: {p.Uid}@example.org\nuserPassword: {p.Password}"));
        foreach (var group in people.SelectMany(p => p.Groups).Distinct())
        {
            var members = string.Join('\n', people.Where(p => p.Groups.Contains(group)).Select(p => $"member: uid={p.Uid},ou=people,{BaseDN}"));
            entries.Add($"dn: cn={group},ou=groups,{BaseDN}\nobjectClass: groupOfNames\ncn: {group}\n{members}");
        }

        return string.Join("\n\n", entries) + "\n";
    }
}
