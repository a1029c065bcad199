using System.Collections;
using Connect.Shared.Configuration;
using Connect.Testing;

namespace Connect.Shared.Tests.Configuration;

public sealed class ConfigurationLoaderTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    private static readonly IDictionary NoEnvironment = new Hashtable();

    public void Dispose() => _folder.Dispose();

    private ConfigurationResult LoadText(string text, IDictionary? environment = null)
    {
        var path = _folder.File("connect.gcfg");
        File.WriteAllText(path, text);
        return ConfigurationLoader.Load(path, environment ?? NoEnvironment);
    }

    [Fact]
    public void The_sample_file_binds_every_key()
    {
        var sample = Path.Combine(RepositoryPaths.Root, "connect.gcfg.sample");

        var result = ConfigurationLoader.Load(sample, NoEnvironment);

        Assert.Empty(result.Errors);
        // A named section's keys count as set when any section of that kind sets them.
        var set = result.Sources.Keys.Select(k => System.Text.RegularExpressions.Regex.Replace(k, "\"[^\"]*\"", "\"NAME\"")).ToHashSet();
        var unset = ConfigurationLoader.AllKeys().Where(k => !set.Contains(k)).ToList();
        Assert.True(unset.Count == 0, "keys missing from connect.gcfg.sample: " + string.Join(", ", unset));
        Assert.All(result.Sources.Values, source => Assert.StartsWith("connect.gcfg.sample:", source));

        var o = result.Options;
        Assert.Equal("/var/lib/connect", o.Server.DataDir);
        Assert.Equal("https://connect.example.com/", o.Server.Address);
        Assert.Equal("https://dashboard.connect.example.com/", o.Server.DashboardAddress);
        Assert.Equal("/var/lib/connect-landing", o.Server.LandingDir);
        Assert.Equal(":3939", o.HTTP.Listen);
        Assert.Equal("node-a", o.Node.Name);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.Node.MaxClockSkew);
        Assert.Equal("127.0.0.1:3940", o.Admin.Listen);
        Assert.Equal(DatabaseProvider.Postgres, o.Database.Provider);
        Assert.Equal("/var/lib/connect/db", o.Database.Dir);
        Assert.Equal("postgres://connect@db.example.com:5432/connect?sslmode=prefer", o.Postgres.URL);
        Assert.Equal("s3cret; with a semicolon", o.Postgres.Password);
        Assert.True(o.Metrics.Enabled);
        Assert.Equal("/var/lib/connect-metrics/node-a", o.Metrics.DataPath);
        Assert.Equal(TimeSpan.FromSeconds(10), o.Metrics.Interval);
        Assert.True(o.Metrics.Graphite);
        Assert.Equal("graphite.example.com", o.Metrics.GraphiteHost);
        Assert.Equal(2004, o.Metrics.GraphitePort);
        Assert.Equal("connect-node-a", o.Metrics.GraphiteClientId);
        Assert.True(o.LoadBalancing.EnforceMinRsconnectVersion);
        Assert.Equal(4, o.Applications.ScheduleConcurrency);
        Assert.Equal(500_000_000, o.Applications.MaxBundleSize.Bytes);
        Assert.Equal(1, o.Scheduler.MinProcesses);
        Assert.Equal(6, o.Scheduler.MaxProcesses);
        Assert.Equal(30, o.Scheduler.MaxConnsPerProcess);
        Assert.Equal(0.75, o.Scheduler.LoadFactor);
        Assert.Equal(TimeSpan.FromMinutes(2), o.Scheduler.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90), o.Scheduler.InitTimeout);
        Assert.Equal(10, o.Scheduler.MinProcessesLimit);
        Assert.Equal(12, o.Scheduler.MaxProcessesLimit);
        Assert.Equal("/usr/bin/R", o.R.Executable);
    }

    [Fact]
    public void No_file_gives_the_documented_defaults()
    {
        var result = ConfigurationLoader.Load(null, NoEnvironment);

        Assert.Empty(result.Errors);
        var o = result.Options;
        Assert.Equal("./data", o.Server.DataDir);
        Assert.Equal(":3939", o.HTTP.Listen);
        Assert.Equal(DatabaseProvider.Sqlite, o.Database.Provider);
        Assert.Equal(Path.GetFullPath("./data/db"), o.DatabaseDir);
        Assert.True(o.Metrics.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(5), o.Metrics.Interval);
        Assert.Equal(2003, o.Metrics.GraphitePort);
        Assert.False(o.LoadBalancing.EnforceMinRsconnectVersion);
        Assert.Equal(2, o.Applications.ScheduleConcurrency);
        Assert.Equal((0, 3, 20, 0.5), (o.Scheduler.MinProcesses, o.Scheduler.MaxProcesses, o.Scheduler.MaxConnsPerProcess, o.Scheduler.LoadFactor));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60)), (o.Scheduler.IdleTimeout, o.Scheduler.InitTimeout));
        Assert.Equal((20, 20), (o.Scheduler.MinProcessesLimit, o.Scheduler.MaxProcessesLimit));
    }

    [Fact]
    public void Three_mistakes_are_all_reported_with_their_line_numbers()
    {
        var result = LoadText("""
            [Scheduler]
            LoadFactor = 1.5
            MaxProcesses = lots

            [Nonsense]
            Key = 1
            """);

        Assert.Equal(3, result.Errors.Count);
        Assert.Contains(result.Errors, e => e.Source == "connect.gcfg:2" && e.Message.Contains("Scheduler.LoadFactor") && e.Message.Contains("between 0 and 1"));
        Assert.Contains(result.Errors, e => e.Source == "connect.gcfg:3" && e.Message.Contains("Scheduler.MaxProcesses") && e.Message.Contains("whole number"));
        Assert.Contains(result.Errors, e => e.Source == "connect.gcfg:5" && e.Message.Contains("unknown section [Nonsense]"));
    }

    /// <summary>An LDAP sign-in section but for the keys a case adds.</summary>
    private const string Ldap = "[Authentication]\nProvider = ldap\n[LDAP \"d\"]\nUserSearchBaseDN = dc=x\n";

    [Theory]
    [InlineData("[Database]\nProvider = postgres\n", "Postgres.URL", "must be set")]
    [InlineData("[Applications]\nScheduleConcurrency = -1\n", "Applications.ScheduleConcurrency", "0 or more")]
    [InlineData("[Scheduler]\nLoadFactor = -0.1\n", "Scheduler.LoadFactor", "between 0 and 1")]
    [InlineData("[Scheduler]\nMinProcesses = 4\nMaxProcesses = 2\n", "Scheduler.MinProcesses", "greater than Scheduler.MaxProcesses")]
    [InlineData("[Scheduler]\nMaxProcesses = 30\n", "Scheduler.MaxProcesses", "MaxProcessesLimit")]
    [InlineData("[Scheduler]\nSpareProcesses = 9\n[Applications]\nRunAsRange = none\n", "Scheduler.SpareProcesses", "from 0 to 8")]
    [InlineData("[Scheduler]\nSpareProcesses = 1\n", "Scheduler.SpareProcesses", "needs Applications.RunAsRange = none")]
    [InlineData("[Applications]\nRunAsRange = 1000-2000\n", "Applications.RunAsRange", "clear of system and login accounts")]
    [InlineData("[Applications]\nRunAsRange = lots\n", "Applications.RunAsRange", "not a range of user ids")]
    [InlineData("[Applications]\nNetwork = everywhere\n", "Applications.Network", "outbound, none")]
    [InlineData("[Scheduler]\nIdleTimeout = 5\n", "Scheduler.IdleTimeout", "duration")]
    [InlineData("[Applications]\nMaxBundleSize = huge\n", "Applications.MaxBundleSize", "size")]
    [InlineData("[HTTP]\nListen = nowhere\n", "HTTP.Listen", "not an address")]
    [InlineData("[OpenTelemetry]\nProtocol = carrier-pigeon\n", "OpenTelemetry.Protocol", "not grpc or http/protobuf")]
    [InlineData("[OpenTelemetry]\nEndpoint = collector:4317\n", "OpenTelemetry.Endpoint", "not an http:// or https:// URL")]
    [InlineData("[Prometheus]\nAllowFrom = 10.0.0.0/8, the-office\n", "Prometheus.AllowFrom", "'the-office' is not an IP address")]
    [InlineData("[Server]\nColour = blue\n", "Server.Colour", "unknown key")]
    [InlineData("[Database]\nProvider = oracle\n", "Database.Provider", "one of sqlite, postgres")]
    [InlineData("[Database]\nProvider = postgres\n[Postgres]\nURL = mysql://x/y\n", "Postgres.URL", "not a URL such as postgres://")]
    [InlineData("[Metrics]\nGraphite = yes\n", "Metrics.GraphiteHost", "must be set")]
    [InlineData("Listen = :1\n", "Listen", "before any [Section]")]
    [InlineData("[Server]\nDashboardAddress = dashboard.example.com\n", "Server.DashboardAddress", "not an absolute http(s) URL")]
    [InlineData("[Authentication]\nProvider = saml\n", "Authentication.Provider", "not one of password, ldap, oauth2, proxy")]
    [InlineData("[Authentication]\nProvider = ldap\n", "LDAP", "needs an [LDAP \"NAME\"] section")]
    [InlineData(Ldap + "ServerAddress = ldap.example.com\nAnonymousBind = true\n", "LDAP \"d\".ServerAddress", "is not host:port")]
    [InlineData(Ldap + "ServerAddress = h:389\n", "LDAP \"d\".BindDN", "is needed to search")]
    [InlineData(Ldap + "ServerAddress = h:389\nAnonymousBind = true\nUsernameAttribute = uid)(x\n", "LDAP \"d\".UsernameAttribute", "is not an LDAP attribute name")]
    [InlineData(Ldap + "ServerAddress = h:389\nAnonymousBind = true\nTLS = true\nStartTLS = true\n", "LDAP \"d\".StartTLS", "not both")]
    [InlineData(Ldap + "ServerAddress = h:389\nAnonymousBind = true\nUserFilterBase = (objectClass=person))(uid=*\n", "LDAP \"d\".UserFilterBase", "is not an LDAP filter")]
    [InlineData(Ldap + "ServerAddress = h:389\nAnonymousBind = true\nGroupFilterBase = (cn=a)(cn=b)\n", "LDAP \"d\".GroupFilterBase", "is not an LDAP filter")]
    [InlineData("[Authentication]\nProvider = oauth2\n[OAuth2]\nClientId = c\nClientSecret = s\nOpenIDConnectIssuer = http://sso.example.com\n", "OAuth2.OpenIDConnectIssuer", "is not an https URL")]
    [InlineData("[Authentication]\nProvider = oauth2\n[OAuth2]\nOpenIDConnectIssuer = https://sso.example.com\nClientSecret = s\n", "OAuth2.ClientId", "is needed")]
    [InlineData("[Authentication]\nBreakGlassAdministrators = admin, *)(uid=*\n", "Authentication.BreakGlassAdministrators", "not a comma-separated list of user names")]
    [InlineData("[Authentication]\nProvider = proxy\n", "LoadBalancing.TrustedProxies", "must name the signing-in proxy's address")]
    [InlineData("[Authorization]\nDefaultUserRole = administrator\n", "Authorization.DefaultUserRole", "not viewer or publisher")]
    [InlineData("[Server]\nAddress = https://connect.example.com/\nDashboardAddress = https://connect.example.com/dashboard/\n", "Server.DashboardAddress", "same origin as Server.Address")]
    public void A_bad_value_is_reported_by_key_name(string text, string key, string problem)
    {
        var result = LoadText(text);

        var error = Assert.Single(result.Errors);
        Assert.Contains(key, error.ToString());
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Names_are_case_insensitive_and_comments_are_ignored()
    {
        var result = LoadText("""
            ; a comment
            # another
            [scheduler]
            maxprocesses = 5 ; trailing comment
            LOADFACTOR = 0.25
            """);

        Assert.Empty(result.Errors);
        Assert.Equal(5, result.Options.Scheduler.MaxProcesses);
        Assert.Equal(0.25, result.Options.Scheduler.LoadFactor);
    }

    [Fact]
    public void Environment_variables_override_the_file()
    {
        var environment = new Hashtable
        {
            ["CONNECT_POSTGRES_PASSWORD"] = "from-env",
            ["CONNECT_HTTP_LISTEN"] = "127.0.0.1:4000",
            ["CONNECT_SCHEDULER_MAXPROCESSES"] = "7",
            ["CONNECT_CONFIG"] = "ignored: names the file, not a key",
            ["CONNECT_CONTENT_GUID"] = "ignored: not a configuration section",
        };

        var result = LoadText("[Postgres]\nPassword = from-file\n[HTTP]\nListen = :3939\n", environment);

        Assert.Empty(result.Errors);
        Assert.Equal("from-env", result.Options.Postgres.Password);
        Assert.Equal("127.0.0.1:4000", result.Options.HTTP.Listen);
        Assert.Equal(7, result.Options.Scheduler.MaxProcesses);
        Assert.Equal("environment variable CONNECT_HTTP_LISTEN", result.Sources["HTTP.Listen"]);
    }

    [Fact]
    public void A_bad_environment_variable_is_reported_by_its_name()
    {
        var result = ConfigurationLoader.Load(null, new Hashtable { ["CONNECT_SCHEDULER_MAXCONNS"] = "3", ["CONNECT_SCHEDULER_LOADFACTOR"] = "2" });

        Assert.Equal(2, result.Errors.Count);
        Assert.Contains(result.Errors, e => e.Source == "environment variable CONNECT_SCHEDULER_MAXCONNS" && e.Message.Contains("unknown key Scheduler.MAXCONNS"));
        Assert.Contains(result.Errors, e => e.Source == "environment variable CONNECT_SCHEDULER_LOADFACTOR" && e.Message.Contains("between 0 and 1"));
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_the_path()
    {
        var result = ConfigurationLoader.Load(_folder.File("absent.gcfg"), NoEnvironment);

        var error = Assert.Single(result.Errors);
        Assert.Contains("absent.gcfg", error.Source);
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public void The_config_path_comes_from_the_command_line_before_the_environment()
    {
        var environment = new Hashtable { ["CONNECT_CONFIG"] = "/from/env.gcfg" };

        Assert.Equal("/cli.gcfg", ConfigurationLoader.FindConfigPath(["run", "--config", "/cli.gcfg"], environment));
        Assert.Equal("/eq.gcfg", ConfigurationLoader.FindConfigPath(["run", "--config=/eq.gcfg"], environment));
        Assert.Equal("/from/env.gcfg", ConfigurationLoader.FindConfigPath(["run"], environment));
        Assert.Null(ConfigurationLoader.FindConfigPath(["run"], new Hashtable()));
    }

    [Fact]
    public void Named_sections_bind_one_options_object_per_name()
    {
        var result = LoadText("""
            [RPackageRepository "CRAN"]
            URL = https://packagemanager.example.com/cran/latest
            [RPackageRepository "Internal"]
            URL = http://10.0.0.5/internal
            [R]
            PackageRepositoryResolution = strict
            """);

        Assert.Empty(result.Errors);
        Assert.Equal("https://packagemanager.example.com/cran/latest", result.Options.RPackageRepository["cran"].URL);
        Assert.Equal("http://10.0.0.5/internal", result.Options.RPackageRepository["Internal"].URL);
        Assert.Equal(PackageRepositoryResolution.Strict, result.Options.R.PackageRepositoryResolution);
        Assert.Equal("connect.gcfg:2", result.Sources["RPackageRepository \"CRAN\".URL"]);
    }

    [Fact]
    public void Every_mistake_in_named_sections_is_reported_at_once()
    {
        var result = LoadText("""
            [RPackageRepository]
            URL = http://a
            [Server "x"]
            DataDir = /tmp
            [RPackageRepository "CRAN"]
            URL = ftp://mirror
            Mirror = yes
            [RPackageRepository "Empty"]
            Other = 1
            """);

        Assert.Contains(result.Errors, e => e.Source == "connect.gcfg:1" && e.Message.Contains("[RPackageRepository] needs a name"));
        Assert.Contains(result.Errors, e => e.Source == "connect.gcfg:3" && e.Message.Contains("[Server] takes no name"));
        Assert.Contains(result.Errors, e => e.Message.Contains("RPackageRepository \"CRAN\".URL") && e.Message.Contains("not an http or https URL"));
        Assert.Contains(result.Errors, e => e.Source == "connect.gcfg:7" && e.Message.Contains("unknown key RPackageRepository \"CRAN\".Mirror"));
        Assert.Contains(result.Errors, e => e.Message.Contains("RPackageRepository \"Empty\".URL") && e.Message.Contains("is missing"));
    }
}
