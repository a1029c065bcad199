namespace Connect.Shared.Configuration;

/// <summary>
/// Every configuration key of a node and the admin console. Each property of this class is a
/// <c>[Section]</c> of the file and each property of a section is a key; the binder finds them by
/// reflection, so adding a key here is all it takes to make it configurable. Defaults are the
/// documented ones.
/// </summary>
public sealed class ConnectOptions
{
    public ServerOptions Server { get; init; } = new();
    public HttpOptions HTTP { get; init; } = new();
    public NodeOptions Node { get; init; } = new();
    public DatabaseOptions Database { get; init; } = new();
    public PostgresOptions Postgres { get; init; } = new();
    public MetricsOptions Metrics { get; init; } = new();
    public OpenTelemetryOptions OpenTelemetry { get; init; } = new();
    public PrometheusOptions Prometheus { get; init; } = new();
    public LoadBalancingOptions LoadBalancing { get; init; } = new();
    public ApplicationsOptions Applications { get; init; } = new();
    public SchedulerOptions Scheduler { get; init; } = new();
    public ROptions R { get; init; } = new();
    public AdminOptions Admin { get; init; } = new();
    public BootstrapOptions Bootstrap { get; init; } = new();
    public SignInOptions Authentication { get; init; } = new();
    public ProxyAuthOptions ProxyAuth { get; init; } = new();
    public AuthorizationOptions Authorization { get; init; } = new();

    /// <summary>
    /// <c>[RPackageRepository "NAME"]</c> sections: each <c>URL</c> replaces the repository of that name in the manifests
    /// of deployed content (how a site points everything at its own package mirror). Names match in any case.
    /// </summary>
    public Dictionary<string, RPackageRepositoryOptions> RPackageRepository { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The <c>[LDAP "NAME"]</c> section: the directory that signs people in when <c>Authentication.Provider = ldap</c>.</summary>
    public Dictionary<string, LdapOptions> LDAP { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary><c>[OAuth2]</c>: the OpenID Connect provider when <c>Authentication.Provider = oauth2</c>.</summary>
    public OAuth2Options OAuth2 { get; init; } = new();

    /// <summary>Database directory, defaulting to <c>{Server.DataDir}/db</c>.</summary>
    public string DatabaseDir => Path.GetFullPath(Database.Dir ?? Path.Combine(Server.DataDir, "db"));

    /// <summary>Per-node metrics directory, defaulting to <c>{Server.DataDir}/metrics/{Node.Name}</c> so
    /// that nodes sharing a data directory never share metrics files.</summary>
    public string MetricsDataPath => Path.GetFullPath(Metrics.DataPath ?? Path.Combine(Server.DataDir, "metrics", Node.Name));

    public string DataDir => Path.GetFullPath(Server.DataDir);

    /// <summary><c>Server.SecretKeyFile</c>, by default <c>connect.key</c> beside (never inside) the data directory.</summary>
    public string SecretKeyPath => Path.GetFullPath(Server.SecretKeyFile ?? Path.Combine(Path.GetDirectoryName(DataDir.TrimEnd('/')) ?? "/", "connect.key"));

    /// <summary>
    /// Folders that may lie under the data directory but belong to one node, not the cluster: the SQLite
    /// database and the metrics stores. Backups leave them out; a restore accepts a data directory holding them.
    /// </summary>
    public IReadOnlySet<string> NodeLocalFolders =>
        new[] { DatabaseDir, Path.Combine(DataDir, "metrics"), MetricsDataPath }.Select(p => p.TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
}

public sealed class ServerOptions
{
    public string DataDir { get; set; } = "./data";
    public string? Address { get; set; }

    /// <summary>
    /// The dashboard's public address (its own origin, never the content's): what the API's <c>dashboard_url</c> and
    /// rsconnect's "open after deploy" lead to. Unset: those lead to the content URL.
    /// </summary>
    public string? DashboardAddress { get; set; }

    /// <summary>An item's page in the dashboard at <paramref name="dashboardAddress"/>.</summary>
    public static string DashboardPage(string dashboardAddress, string guid) => $"{dashboardAddress.TrimEnd('/')}/content/{guid}";

    /// <summary>An item's page in the dashboard, when <see cref="DashboardAddress"/> is set.</summary>
    public string? DashboardPageOf(string guid) => DashboardAddress is { } dashboard ? DashboardPage(dashboard, guid) : null;

    public string? LandingDir { get; set; }

    /// <summary>The key that encrypts the session and secret key ring in the database; kept out of the data directory and backups.</summary>
    public string? SecretKeyFile { get; set; }

    /// <summary>R packages this node installs at once into the package cache (each one R CMD INSTALL, compilers included).</summary>
    public int CompilationConcurrency { get; set; } = Math.Max(1, Environment.ProcessorCount);
}

public sealed class HttpOptions
{
    public string Listen { get; set; } = ":3939";

    /// <summary>Log one line per request (method, path, status, milliseconds); off by default, it costs a line a request.</summary>
    public bool AccessLog { get; set; }
}

public sealed class NodeOptions
{
    public string Name { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>A node whose clock differs from the database's by more than this is warned about.</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>On SIGTERM, how long the node keeps serving with <c>/__ping__</c> at 503 before it stops.</summary>
    public TimeSpan DrainPeriod { get; set; } = TimeSpan.FromSeconds(3);
}

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    public string? Dir { get; set; }

    /// <summary>How long a starting node waits for the database to answer before giving up.</summary>
    public TimeSpan WaitAtStart { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class PostgresOptions
{
    public string? URL { get; set; }
    public string? Password { get; set; }
}

public sealed class MetricsOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Record page views and Shiny sessions (the instrumentation API); false: none are recorded. The audit log is kept either way.</summary>
    public bool Instrumentation { get; set; } = true;
    public string? DataPath { get; set; }
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
    public bool Graphite { get; set; }
    public string? GraphiteHost { get; set; }
    public int GraphitePort { get; set; } = 2003;
    public string? GraphiteClientId { get; set; }
}

/// <summary>OTLP export of the node's metrics to an outside platform.</summary>
public sealed class OpenTelemetryOptions
{
    public bool Enabled { get; set; }

    /// <summary>The collector's OTLP address (default: the SDK's, http://localhost:4317 for gRPC).</summary>
    public string? Endpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c>.</summary>
    public string Protocol { get; set; } = "grpc";
}

/// <summary>Prometheus exposition of the node's metrics at <c>/metrics</c>.</summary>
public sealed class PrometheusOptions
{
    public bool Enabled { get; set; }

    /// <summary>Addresses or networks (comma-separated) allowed to scrape; anyone else gets 403.</summary>
    public string AllowFrom { get; set; } = "127.0.0.1, ::1";
}

public sealed class LoadBalancingOptions
{
    public bool EnforceMinRsconnectVersion { get; set; }

    /// <summary>
    /// Addresses or networks (<c>10.0.0.5</c>, <c>10.0.0.0/24</c>, comma-separated) of the load balancers
    /// whose <c>X-Forwarded-*</c> headers a node believes; from anyone else they are dropped.
    /// </summary>
    public string? TrustedProxies { get; set; }
}

public sealed class ApplicationsOptions
{
    public int ScheduleConcurrency { get; set; } = 2;

    /// <summary>Largest bundle (the uploaded .tar.gz) a node accepts.</summary>
    public ByteSize MaxBundleSize { get; set; } = new(1L << 30);

    /// <summary>Most files, folders and links a bundle may hold.</summary>
    public int MaxBundleFiles { get; set; } = 20_000;

    /// <summary>
    /// Bundles kept per item, the live one among them (0: all, as before). Older ones go with their files once nothing
    /// uses them and the item's last deploy is older than <see cref="BundleReapFrequency"/>.
    /// </summary>
    public int BundleRetentionLimit { get; set; }

    /// <summary>How often old bundles are looked for (and how long after a deploy the bundle it replaced may still be in use).</summary>
    public TimeSpan BundleReapFrequency { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long finished tasks (deploys, renders, with their output) and finished scheduled renders (with their logs) are kept.</summary>
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Finished tasks, and finished scheduled renders, kept per item at most, however recent (0: no such bound).</summary>
    public int HistoryRetentionLimit { get; set; } = 100;

    /// <summary>How long usage records (page views, Shiny sessions) are kept.</summary>
    public TimeSpan UsageRetention { get; set; } = TimeSpan.FromDays(365);

    /// <summary>
    /// The unprivileged system user R processes run as when they belong to no item (the package check), and every
    /// item's processes when <see cref="RunAsRange"/> is <c>none</c>.
    /// </summary>
    public string RunAs { get; set; } = "connect-content";

    /// <summary>
    /// User ids, <c>FIRST-LAST</c>, from which each item gets one of its own (the first plus its id): no two items share
    /// a uid, so none can read another's home, signal its processes or open its socket. <c>none</c>: every item runs as
    /// <see cref="RunAs"/>. The ids need no accounts; keep the range clear of real users and subordinate id ranges.
    /// </summary>
    public string RunAsRange { get; set; } = "1800000000-1899999999";

    /// <summary>What an item's R processes may reach over the network; either way never the host's loopback.</summary>
    public ContentNetworkMode Network { get; set; } = ContentNetworkMode.Outbound;
}

/// <summary><c>Applications.Network</c>.</summary>
public enum ContentNetworkMode
{
    /// <summary>Outbound connections through a user-mode network stack (slirp4netns); the host's loopback stays unreachable.</summary>
    Outbound,

    /// <summary>A network namespace with only its own loopback: nothing outside the process can be reached.</summary>
    None,
}

public sealed class SchedulerOptions
{
    public int MinProcesses { get; set; }
    public int MaxProcesses { get; set; } = 3;
    public int MaxConnsPerProcess { get; set; } = 20;

    /// <summary>WebSockets one client (a user, else an address) may hold open to one item on a node.</summary>
    public int MaxConnsPerClient { get; set; } = 8;
    public double LoadFactor { get; set; } = 0.5;
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan InitTimeout { get; set; } = TimeSpan.FromSeconds(60);
    public int MinProcessesLimit { get; set; } = 20;
    public int MaxProcessesLimit { get; set; } = 20;

    /// <summary>Memory one R process and what it starts may use (0: no limit); an item's own <c>memory_limit</c> wins, up to <see cref="MaxMemoryLimit"/>.</summary>
    public ByteSize MemoryLimit { get; set; }

    /// <summary>The most an item's <c>memory_limit</c> may ask for (0: no cap).</summary>
    public ByteSize MaxMemoryLimit { get; set; }

    /// <summary>Processes and threads one R process and what it starts may run at once (a fork bomb stops here).</summary>
    public int ProcessLimit { get; set; } = 512;

    /// <summary>R processes this node keeps started with shiny loaded, each given to the next Shiny app that starts (root nodes only).</summary>
    public int SpareProcesses { get; set; }
}

public sealed class ROptions
{
    public string? Executable { get; set; }

    /// <summary>Which repositories a deploy installs packages from: only configured ones, or the manifest's own URLs too.</summary>
    public PackageRepositoryResolution PackageRepositoryResolution { get; set; } = PackageRepositoryResolution.Lax;

    /// <summary>How long one package's download and install may take before the deploy fails.</summary>
    public TimeSpan PackageInstallTimeout { get; set; } = TimeSpan.FromMinutes(20);
}

/// <summary><c>R.PackageRepositoryResolution</c>.</summary>
public enum PackageRepositoryResolution
{
    /// <summary>Only <c>[RPackageRepository]</c> sections: the manifest's URLs are never fetched.</summary>
    Strict,

    /// <summary>The configured repository of a package's source name, then the URL its manifest names, then the other configured ones.</summary>
    Lax,
}

/// <summary>One <c>[RPackageRepository "NAME"]</c> section.</summary>
public sealed class RPackageRepositoryOptions
{
    /// <summary>A CRAN-like repository: packages at <c>{URL}/src/contrib/</c>, older versions under <c>Archive/{name}/</c>.</summary>
    public string? URL { get; set; }
}

/// <summary>
/// <c>[Bootstrap]</c>: a fresh server (no users) gives its first administrator's API key to whoever presents a JSON Web
/// Token signed with the secret in <see cref="SecretKeyFile"/> (<c>POST /__api__/v1/bootstrap</c>, as
/// <c>rsconnect bootstrap</c> does), instead of creating <c>admin</c> by itself on the first start.
/// </summary>
public sealed class BootstrapOptions
{
    public bool Enabled { get; set; }

    /// <summary>A file holding the signing secret, base64-encoded (at least 32 bytes once decoded), readable by the node alone.</summary>
    public string? SecretKeyFile { get; set; }
}

public sealed class SignInOptions
{
    /// <summary>
    /// Who decides who signs in: <c>password</c> (this server's own users), <c>ldap</c> (the <c>[LDAP]</c> directory),
    /// <c>oauth2</c> (the <c>[OAuth2]</c> OpenID Connect provider) or <c>proxy</c> (a trusted proxy's header).
    /// </summary>
    public string Provider { get; set; } = "password";

    /// <summary>
    /// Local administrators (comma-separated user names, each with a password here) who may still sign in with that
    /// password at the sign-in page's <c>/local</c> form while the provider is down. Unset: nobody.
    /// </summary>
    public string? BreakGlassAdministrators { get; set; }

    public const string Password = "password";
    public const string Ldap = "ldap";
    public const string OAuth2 = "oauth2";
    public const string Proxy = "proxy";

    /// <summary>The names in <see cref="BreakGlassAdministrators"/>.</summary>
    public IReadOnlyList<string> BreakGlassNames =>
        (BreakGlassAdministrators ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>One <c>[LDAP "NAME"]</c> section, with the product's key names: search for the user, then bind as her.</summary>
public sealed class LdapOptions
{
    /// <summary><c>host:port</c> of the directory.</summary>
    public string? ServerAddress { get; set; }

    /// <summary>LDAPS: TLS from the first byte (usually port 636).</summary>
    public bool TLS { get; set; }

    /// <summary>StartTLS on a plain port before anything is sent (usually 389).</summary>
    public bool StartTLS { get; set; }

    /// <summary>A PEM file of the certificate authorities to trust for TLS; unset: the system's store.</summary>
    public string? TLSCACertificate { get; set; }

    /// <summary>The service account that searches; unset with <see cref="AnonymousBind"/>: search anonymously.</summary>
    public string? BindDN { get; set; }

    public string? BindPassword { get; set; }

    public bool AnonymousBind { get; set; }

    public string? UserSearchBaseDN { get; set; }

    public string UserObjectClass { get; set; } = "inetOrgPerson";

    /// <summary>
    /// The filter a person must match, without the user name: the product's default is the object class; an
    /// administrator narrows it, e.g. to leave out people Active Directory marks disabled:
    /// <c>&amp;(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2))</c>.
    /// </summary>
    public string UserFilterBase { get; set; } = "objectClass={UserObjectClass}";

    public string UsernameAttribute { get; set; } = "uid";

    /// <summary>The attribute that never changes for a person (<c>entryUUID</c> on OpenLDAP, <c>objectGUID</c> on AD).</summary>
    public string UniqueIdAttribute { get; set; } = "entryUUID";

    public string UserEmailAttribute { get; set; } = "mail";

    /// <summary>Where groups are searched; unset: groups are not read from the directory.</summary>
    public string? GroupSearchBaseDN { get; set; }

    public string GroupObjectClass { get; set; } = "groupOfNames";

    /// <summary>The filter a group must match, without the member: by default its object class.</summary>
    public string GroupFilterBase { get; set; } = "objectClass={GroupObjectClass}";

    public string GroupNameAttribute { get; set; } = "cn";

    /// <summary>The group attribute that lists members: by DN (<c>member</c>, <c>uniqueMember</c>) or by name (<c>memberUid</c>).</summary>
    public string GroupMemberAttribute { get; set; } = "member";

    /// <summary>How long one directory answer may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a directory user's API keys are checked against the directory (she is locked when gone).</summary>
    public TimeSpan UserCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><see cref="UserFilterBase"/> with the object class put in.</summary>
    public string UserFilter => UserFilterBase.Replace("{UserObjectClass}", UserObjectClass, StringComparison.Ordinal);

    /// <summary><see cref="GroupFilterBase"/> with the object class put in.</summary>
    public string GroupFilter => GroupFilterBase.Replace("{GroupObjectClass}", GroupObjectClass, StringComparison.Ordinal);

    /// <summary>Whether groups hold members by user name rather than by DN.</summary>
    public bool MembersByName => GroupMemberAttribute.Equals("memberUid", StringComparison.OrdinalIgnoreCase);
}

/// <summary><c>[OAuth2]</c>: OpenID Connect, authorization code flow with PKCE, with the product's key names.</summary>
public sealed class OAuth2Options
{
    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>The issuer (an <c>https</c> URL); its discovery document and keys are read from it.</summary>
    public string? OpenIDConnectIssuer { get; set; }

    /// <summary>The claim that names the user.</summary>
    public string UsernameClaim { get; set; } = "preferred_username";

    /// <summary>Refuse a sign-in whose token lacks <see cref="UsernameClaim"/>; false: fall back to the e-mail's local part.</summary>
    public bool RequireUsernameClaim { get; set; }

    /// <summary>The claim that never changes for a person: users are matched by it, not by their name.</summary>
    public string UniqueIdClaim { get; set; } = "sub";

    public string EmailClaim { get; set; } = "email";

    /// <summary>The claim listing the user's groups (used for role mappings, and as groups here with <see cref="GroupsAutoProvision"/>).</summary>
    public string GroupsClaim { get; set; } = "groups";

    /// <summary>Make the provider's groups groups here, with the user's membership from each sign-in.</summary>
    public bool GroupsAutoProvision { get; set; }

    /// <summary>Scopes asked for besides <c>openid profile email</c> (space-separated), such as <c>groups</c>.</summary>
    public string? CustomScope { get; set; }
}

/// <summary><c>[ProxyAuth]</c>: a proxy in front of the cluster that signs people in and says who they are in a header.</summary>
public sealed class ProxyAuthOptions
{
    /// <summary>The header holding the user name, believed only from <c>LoadBalancing.TrustedProxies</c>.</summary>
    public string UsernameHeader { get; set; } = "X-Auth-Username";

    /// <summary>A header listing the user's groups (comma-separated), used for the role mappings; unset: none.</summary>
    public string? GroupsHeader { get; set; }

    /// <summary>Where the sign-in page sends people (the proxy's own sign-in); unset: a page that says to come through the proxy.</summary>
    public string? LoginURL { get; set; }

    /// <summary>Where signing out sends people (the proxy's sign-out).</summary>
    public string? LogoutURL { get; set; }
}

/// <summary><c>[Authorization]</c>: the role of a user who signs in through a provider.</summary>
public sealed class AuthorizationOptions
{
    /// <summary>A new user's role when no mapping gives one: <c>viewer</c> or <c>publisher</c>.</summary>
    public string DefaultUserRole { get; set; } = "viewer";

    /// <summary>Provider groups (comma-separated) whose members are publishers.</summary>
    public string? PublisherRoleMapping { get; set; }

    /// <summary>Provider groups (comma-separated) whose members are administrators.</summary>
    public string? AdministratorRoleMapping { get; set; }
}

public sealed class AdminOptions
{
    /// <summary>Where the admin console listens.</summary>
    public string Listen { get; set; } = "127.0.0.1:3940";

    /// <summary>Host names the console answers to (<c>;</c>-separated), which stops DNS rebinding.</summary>
    public string AllowedHosts { get; set; } = "localhost;127.0.0.1;[::1]";
}
