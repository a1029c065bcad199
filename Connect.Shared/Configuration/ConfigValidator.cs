using Connect.Shared.Data;

namespace Connect.Shared.Configuration;

/// <summary>
/// Rules that span a value's range or several keys. Each problem names the key and where it was
/// set (or "default"), and every rule runs so that one start-up shows every mistake.
/// </summary>
internal static class ConfigValidator
{
    public static IEnumerable<ConfigError> Validate(ConnectOptions o, Func<string, string> sourceOf)
    {
        ConfigError Error(string key, string message) => new(sourceOf(key), $"{key}: {message}");

        if (!ListenAddress.TryParse(o.HTTP.Listen, out _))
        {
            yield return Error("HTTP.Listen", $"'{o.HTTP.Listen}' is not an address such as :3939 or 127.0.0.1:3939");
        }

        if (!ListenAddress.TryParse(o.Admin.Listen, out _))
        {
            yield return Error("Admin.Listen", $"'{o.Admin.Listen}' is not an address such as :3940 or 127.0.0.1:3940");
        }

        if (string.IsNullOrWhiteSpace(o.Server.DataDir))
        {
            yield return Error("Server.DataDir", "must not be empty");
        }

        if (string.IsNullOrWhiteSpace(o.Node.Name) || o.Node.Name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            yield return Error("Node.Name", $"'{o.Node.Name}' must be a non-empty name without spaces");
        }

        if (o.Node.DrainPeriod < TimeSpan.Zero || o.Node.DrainPeriod > TimeSpan.FromMinutes(5))
        {
            yield return Error("Node.DrainPeriod", "must be between 0s and 5m");
        }

        if (o.Node.MaxClockSkew <= TimeSpan.Zero)
        {
            yield return Error("Node.MaxClockSkew", "must be greater than zero");
        }

        if (o.Server.Address is { } address && !Uri.TryCreate(address, UriKind.Absolute, out _))
        {
            yield return Error("Server.Address", $"'{address}' is not an absolute URL such as https://connect.example.com/");
        }

        if (o.Server.DashboardAddress is { } dashboard
            && (!Uri.TryCreate(dashboard, UriKind.Absolute, out var dashboardUri) || dashboardUri.Scheme is not ("http" or "https")))
        {
            yield return Error("Server.DashboardAddress", $"'{dashboard}' is not an absolute http(s) URL such as https://dashboard.connect.example.com/");
        }
        else if (o.Server.DashboardAddress is { } sameAs && o.Server.Address is { } address2
            && Uri.TryCreate(address2, UriKind.Absolute, out var serverUri) && Uri.TryCreate(sameAs, UriKind.Absolute, out var dashboardAt)
            && string.Equals(serverUri.GetLeftPart(UriPartial.Authority), dashboardAt.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            // One origin for both would let a hostile item's script act in the dashboard as its viewer.
            yield return Error("Server.DashboardAddress", $"'{sameAs}' has the same origin as Server.Address; give the dashboard a host name or port of its own");
        }

        foreach (var proxy in TrustedProxies.Split(o.LoadBalancing.TrustedProxies).Where(p => !TrustedProxies.TryParse(p, out _)))
        {
            yield return Error("LoadBalancing.TrustedProxies", $"'{proxy}' is not an IP address or a network such as 10.0.0.0/24");
        }

        if (string.IsNullOrWhiteSpace(o.Applications.RunAs) || o.Applications.RunAs.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
        {
            yield return Error("Applications.RunAs", $"'{o.Applications.RunAs}' is not a user name");
        }

        var secretKey = o.SecretKeyPath;
        if (secretKey.StartsWith(o.DataDir.TrimEnd('/') + "/", StringComparison.Ordinal) || secretKey.StartsWith(o.DatabaseDir.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            yield return Error("Server.SecretKeyFile", $"{secretKey} lies inside the data directory or the database folder, so every backup and copy of them would hold it; keep it elsewhere (such as /etc/connect/secret.key)");
        }

        if (!UidRange.TryParse(o.Applications.RunAsRange, out var range, out var rangeProblem))
        {
            yield return Error("Applications.RunAsRange", rangeProblem!);
        }
        else if (range is not null && o.Scheduler.SpareProcesses > 0)
        {
            yield return Error("Scheduler.SpareProcesses", "needs Applications.RunAsRange = none: a spare R process starts before it knows its item, so it cannot run as the item's own user");
        }

        if (o.Authentication.Provider is not (SignInOptions.Password or SignInOptions.Ldap or SignInOptions.OAuth2 or SignInOptions.Proxy))
        {
            yield return Error("Authentication.Provider", $"'{o.Authentication.Provider}' is not one of password, ldap, oauth2, proxy (pam and saml are not built)");
        }

        foreach (var problem in SignInProviderChecks.Problems(o))
        {
            yield return Error(problem.Key, problem.Message);
        }

        if (o.Authentication.Provider == SignInOptions.Proxy && TrustedProxies.Split(o.LoadBalancing.TrustedProxies).Count == 0)
        {
            yield return Error("LoadBalancing.TrustedProxies", "must name the signing-in proxy's address when Authentication.Provider = proxy: its header is believed from no one else");
        }

        if (o.Authorization.DefaultUserRole is not ("viewer" or "publisher"))
        {
            yield return Error("Authorization.DefaultUserRole", $"'{o.Authorization.DefaultUserRole}' is not viewer or publisher");
        }

        if (o.Bootstrap.Enabled && BootstrapSecret.Read(o.Bootstrap.SecretKeyFile, out var secretProblem) is null)
        {
            yield return Error("Bootstrap.SecretKeyFile", secretProblem!);
        }

        if (string.IsNullOrWhiteSpace(o.Admin.AllowedHosts))
        {
            yield return Error("Admin.AllowedHosts", "must name at least one host (or * for any)");
        }

        if (o.Database.Provider == DatabaseProvider.Postgres)
        {
            if (string.IsNullOrWhiteSpace(o.Postgres.URL))
            {
                yield return Error("Postgres.URL", "must be set when Database.Provider = postgres");
            }
            else if (!PostgresConnectionString.TryBuild(o.Postgres.URL, o.Postgres.Password, out _, out var problem))
            {
                yield return Error("Postgres.URL", problem!);
            }
        }

        if (o.Database.WaitAtStart < TimeSpan.Zero)
        {
            yield return Error("Database.WaitAtStart", "must be 0 or more");
        }

        if (o.Metrics.Interval < TimeSpan.FromSeconds(1))
        {
            yield return Error("Metrics.Interval", "must be at least 1s");
        }

        if (o.Metrics.Graphite && string.IsNullOrWhiteSpace(o.Metrics.GraphiteHost))
        {
            yield return Error("Metrics.GraphiteHost", "must be set when Metrics.Graphite = true");
        }

        if (o.Metrics.GraphitePort is < 1 or > 65535)
        {
            yield return Error("Metrics.GraphitePort", $"{o.Metrics.GraphitePort} is not a port number (1-65535)");
        }

        if (o.OpenTelemetry.Protocol is not ("grpc" or "http/protobuf"))
        {
            yield return Error("OpenTelemetry.Protocol", $"'{o.OpenTelemetry.Protocol}' is not grpc or http/protobuf");
        }

        if (o.OpenTelemetry.Endpoint is { } endpoint && (!Uri.TryCreate(endpoint, UriKind.Absolute, out var otlp) || otlp.Scheme is not ("http" or "https")))
        {
            yield return Error("OpenTelemetry.Endpoint", $"'{endpoint}' is not an http:// or https:// URL");
        }

        foreach (var part in TrustedProxies.Split(o.Prometheus.AllowFrom).Where(p => !TrustedProxies.TryParse(p, out _)))
        {
            yield return Error("Prometheus.AllowFrom", $"'{part}' is not an IP address or network");
        }

        if (o.Applications.ScheduleConcurrency < 0)
        {
            yield return Error("Applications.ScheduleConcurrency", $"{o.Applications.ScheduleConcurrency} must be 0 or more (0 = this node runs no scheduled renders)");
        }

        if (o.Applications.MaxBundleFiles < 1)
        {
            yield return Error("Applications.MaxBundleFiles", "must be at least 1");
        }

        if (o.Applications.BundleRetentionLimit < 0)
        {
            yield return Error("Applications.BundleRetentionLimit", $"{o.Applications.BundleRetentionLimit} must be 0 or more (0 = keep every bundle)");
        }

        if (o.Applications.BundleReapFrequency < TimeSpan.FromSeconds(1))
        {
            yield return Error("Applications.BundleReapFrequency", "must be at least 1s");
        }

        if (o.Applications.HistoryRetention < TimeSpan.FromMinutes(1))
        {
            yield return Error("Applications.HistoryRetention", "must be at least 1m (finished tasks are polled for their result)");
        }

        if (o.Applications.UsageRetention < TimeSpan.FromHours(1))
        {
            yield return Error("Applications.UsageRetention", "must be at least 1h");
        }

        if (o.Applications.HistoryRetentionLimit < 0)
        {
            yield return Error("Applications.HistoryRetentionLimit", $"{o.Applications.HistoryRetentionLimit} must be 0 or more (0 = no bound by count)");
        }

        if (o.Applications.MaxBundleSize.Bytes <= 0)
        {
            yield return Error("Applications.MaxBundleSize", "must be greater than zero");
        }

        var s = o.Scheduler;
        if (s.LoadFactor is < 0 or > 1 || double.IsNaN(s.LoadFactor))
        {
            yield return Error("Scheduler.LoadFactor", $"{s.LoadFactor} must be between 0 and 1");
        }

        if (s.MinProcesses < 0)
        {
            yield return Error("Scheduler.MinProcesses", $"{s.MinProcesses} must be 0 or more");
        }

        if (s.MaxProcesses < 1)
        {
            yield return Error("Scheduler.MaxProcesses", $"{s.MaxProcesses} must be 1 or more");
        }

        if (s.MinProcesses > s.MaxProcesses)
        {
            yield return Error("Scheduler.MinProcesses", $"{s.MinProcesses} is greater than Scheduler.MaxProcesses ({s.MaxProcesses})");
        }

        if (s.MinProcesses > s.MinProcessesLimit)
        {
            yield return Error("Scheduler.MinProcesses", $"{s.MinProcesses} is above Scheduler.MinProcessesLimit ({s.MinProcessesLimit})");
        }

        if (s.MaxProcesses > s.MaxProcessesLimit)
        {
            yield return Error("Scheduler.MaxProcesses", $"{s.MaxProcesses} is above Scheduler.MaxProcessesLimit ({s.MaxProcessesLimit})");
        }

        if (s.MemoryLimit.Bytes is < 0 or (> 0 and < 64L << 20))
        {
            yield return Error("Scheduler.MemoryLimit", $"{s.MemoryLimit} is too little for R (at least 64 MiB, or 0 for no limit)");
        }

        if (s.MaxMemoryLimit.Bytes > 0 && s.MemoryLimit.Bytes > s.MaxMemoryLimit.Bytes)
        {
            yield return Error("Scheduler.MemoryLimit", $"{s.MemoryLimit} is above Scheduler.MaxMemoryLimit ({s.MaxMemoryLimit})");
        }

        if (s.ProcessLimit < 16)
        {
            yield return Error("Scheduler.ProcessLimit", $"{s.ProcessLimit} must be at least 16 (R itself runs a few)");
        }

        if (s.MaxConnsPerClient < 1)
        {
            yield return Error("Scheduler.MaxConnsPerClient", $"{s.MaxConnsPerClient} must be at least 1");
        }

        if (s.SpareProcesses is < 0 or > 8)
        {
            yield return Error("Scheduler.SpareProcesses", $"{s.SpareProcesses} must be from 0 to 8 (each holds an R process with shiny loaded, ~100 MB)");
        }

        if (s.MaxConnsPerProcess < 1)
        {
            yield return Error("Scheduler.MaxConnsPerProcess", $"{s.MaxConnsPerProcess} must be 1 or more");
        }

        if (s.IdleTimeout < TimeSpan.Zero)
        {
            yield return Error("Scheduler.IdleTimeout", "must not be negative");
        }

        if (s.InitTimeout <= TimeSpan.Zero)
        {
            yield return Error("Scheduler.InitTimeout", "must be greater than zero");
        }

        if (o.Server.CompilationConcurrency < 1)
        {
            yield return Error("Server.CompilationConcurrency", $"{o.Server.CompilationConcurrency} must be at least 1");
        }

        if (o.R.PackageInstallTimeout <= TimeSpan.Zero)
        {
            yield return Error("R.PackageInstallTimeout", "must be greater than zero");
        }

        foreach (var (name, repository) in o.RPackageRepository)
        {
            var key = $"RPackageRepository \"{name}\".URL";
            if (repository.URL is null)
            {
                yield return Error(key, "is missing: each [RPackageRepository] needs the URL of a CRAN-like repository");
            }
            else if (!Uri.TryCreate(repository.URL, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                yield return Error(key, $"'{repository.URL}' is not an http or https URL");
            }
        }
    }
}
