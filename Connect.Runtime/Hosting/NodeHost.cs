using System.Text.Json;
using Connect.Runtime.Api;
using Connect.Runtime.Api.Legacy;
using Connect.Runtime.Authentication;
using Connect.Runtime.Cluster;
using Connect.Shared.Operations;
using Connect.Runtime.Content;
using Connect.Runtime.Metrics;
using Connect.Runtime.Operations;
using Connect.Runtime.Packages;
using Connect.Runtime.Processes;
using Connect.Runtime.Proxy;
using Connect.Runtime.Publishing;
using Connect.Runtime.R;
using Connect.Runtime.Scheduling;
using Connect.Runtime.Usage;
using Connect.Shared.Scheduling;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Content;
using Connect.Shared.Data;
using Connect.Shared.Tasks;
using Connect.Shared.Users;
using Connect.Shared.Security;
using Connect.Shared.Web;

namespace Connect.Runtime.Hosting;

/// <summary>Builds and runs one node: migrate (once, under the schema lock), register, serve.</summary>
internal static partial class NodeHost
{
    public static async Task<int> RunAsync(ConnectOptions options, TextWriter stderr)
    {
        var app = Build(options);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Connect.Node");
        if (StartupChecks.PortProblem(options) is { } portProblem)
        {
            return await RefuseAsync(logger, stderr, portProblem);
        }

        if (PrivateFiles.EnsureFolder(options.DataDir))
        {
            LogDataDirOpened(logger, options.DataDir);
        }

        if (StartupChecks.DataDirProblem(options.DataDir) is { } dataDirProblem)
        {
            return await RefuseAsync(logger, stderr, dataDirProblem);
        }

        try
        {
            var database = app.Services.GetRequiredService<ConnectDatabase>();
            await StartupChecks.WaitForDatabaseAsync(database, options.Database.WaitAtStart, TimeProvider.System, logger, CancellationToken.None);
            var problem = await app.Services.GetRequiredService<SchemaState>().ReadDatabaseVersionAsync() == 0
                ? StartupChecks.EmptyDatabaseProblem(database, options.DataDir)
                : await StartupChecks.DuplicateNameProblemAsync(app.Services.GetRequiredService<NodeRegistry>(), options.Node.Name, CancellationToken.None);
            if (problem is not null)
            {
                return await RefuseAsync(logger, stderr, problem);
            }

            var result = await app.Services.GetRequiredService<SchemaMigrator>().MigrateAsync(options.Node.Name);
            if (result.Status == MigrationStatus.DatabaseIsNewer)
            {
                LogSchemaTooNew(logger, result.Describe());
                await stderr.WriteLineAsync($"connect: refusing to start: {result.Describe()}");
                return ExitCodes.SchemaTooNew;
            }

            LogSchema(logger, app.Services.GetRequiredService<ConnectDatabase>().Description, result.Describe());
            ClusterServices.ObserveNode(app.Services);
            if (await MetricsSetup.OpenStoreAsync(app.Services, options, CancellationToken.None) is { } metricsProblem)
            {
                return await RefuseAsync(logger, stderr, metricsProblem);
            }

            // With Bootstrap.Enabled the first administrator is made by whoever holds the bootstrap secret, not here.
            if (!options.Bootstrap.Enabled)
            {
                await AdminBootstrap.EnsureAdminAsync(
                    app.Services.GetRequiredService<UserRepository>(), app.Services.GetRequiredService<ApiKeyRepository>(),
                    options.DataDir, logger, CancellationToken.None);
            }
            try
            {
                await DataProtectionSetup.EnsureKeyRingAsync(app.Services, CancellationToken.None);
            }
            catch (InvalidOperationException e)
            {
                return await RefuseAsync(logger, stderr, e.Message);
            }

            app.Services.GetRequiredService<BundleStore>().SweepStaging();
            await app.Services.GetRequiredService<TaskRepository>().FailUnfinishedAsync(options.Node.Name, app.Services.GetRequiredService<NodeIdentity>().InstanceId);
            // RunAsync disposes the services, so hold on to the state that carries the exit code.
            var state = app.Services.GetRequiredService<NodeState>();
            await app.RunAsync();
            return state.ExitCode;
        }
        catch (Exception e) when (DatabaseErrors.IsConnectionProblem(e))
        {
            var description = app.Services.GetRequiredService<ConnectDatabase>().Description;
            LogDatabaseUnusable(logger, description, e.Message, e);
            await stderr.WriteLineAsync($"connect: cannot use the database ({description}): {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException || DatabaseErrors.IsDiskFull(e))
        {
            // A file the node must write at start (the admin key, the database file) could not be written.
            return await RefuseAsync(logger, stderr, DatabaseErrors.IsDiskFull(e) ? $"the disk is full: {e.Message}" : e.Message);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    internal static WebApplication Build(ConnectOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders().AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // Hosting starts an Activity (and a log scope) for every request while its logger is on at any level; it
        // logs only requests starting and finishing (Information), which the access log covers. Off, a static
        // file costs the node less (BENCHMARKS.md). Unhandled errors are Kestrel's and the endpoints' to log.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // YARP logs every forwarded request at Information: gigabytes a day under load.
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        ListenAddress.TryParse(options.HTTP.Listen, out var listen);
        builder.WebHost.UseUrls(listen.ToBindUrl());

        var identity = new NodeIdentity(
            options.Node.Name,
            listen.ToReachableUrl(Environment.MachineName.ToLowerInvariant()),
            NodeVersion.Current,
            Migrations.Latest,
            Guid.NewGuid().ToString("N"));

        builder.Services.AddNodeCluster(options, identity);
        builder.Services.AddContentProxy();
        builder.Services.AddContentServing();
        builder.Services.AddPublishing();
        builder.Services.AddOperations();
        builder.Services.AddWorkers();
        builder.Services.AddPackages();
        builder.Services.AddScheduling();
        builder.Services.AddNodeMetrics(options);
        builder.Services.AddNodeSampling();
        builder.Services.AddUsage();
        builder.Services.AddConnectApi();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddConnectAuthentication(options);
        builder.Services.AddJsonBadRequests();

        var app = builder.Build();
        app.UseProxyPeerCheck(options);
        app.UseTrustedProxies(options);
        app.UseAccessLog(options.HTTP.AccessLog);
        app.UseContentMetrics();
        app.UseLegacyApiPaths();
        app.UseVanityPaths();
        // Files that need no sign-in beyond a key answer here, before the rest of the pipeline (see StaticFastPath).
        app.UseStaticFastPath();
        // Route after the path rewrite above, not before it as WebApplication would by default.
        app.UseRouting();
        // Outermost: whatever the inner handlers leave unanswered on an API route still answers in JSON.
        app.UseJsonBadRequests(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Connect.Api"));
        app.UseDatabaseUnavailablePages(app.Services.GetRequiredService<ConnectDatabase>(), app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Connect.Database"));
        app.UseMinimumRsconnectVersion(options);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseDrainingShutdown(options.Node.DrainPeriod);
        app.UseAuditTrail();
        app.MapPing();
        app.MapPrometheus(options);
        app.MapSignIn();
        app.MapConnectApi();
        app.MapContent();
        app.MapLandingPage();
        app.MapLandingAssets(options);
        return app;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Database {Database}: {Outcome}")]
    private static partial void LogSchema(ILogger logger, string database, string outcome);

    [LoggerMessage(EventId = 2, Level = LogLevel.Critical, Message = "Refusing to start: {Reason}")]
    private static partial void LogSchemaTooNew(ILogger logger, string reason);

    /// <summary>Says why the node will not start, in the log and on stderr; nothing has been changed.</summary>
    private static async Task<int> RefuseAsync(ILogger logger, TextWriter stderr, string problem)
    {
        LogRefused(logger, problem);
        await stderr.WriteLineAsync($"connect: refusing to start: {problem}");
        return ExitCodes.Failed;
    }

    [LoggerMessage(EventId = 6, Level = LogLevel.Critical, Message = "Refusing to start: {Problem}")]
    private static partial void LogRefused(ILogger logger, string problem);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "The data directory {DataDir} was readable by other users; it is now private to this node's user (0700)")]
    private static partial void LogDataDirOpened(ILogger logger, string dataDir);

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical, Message = "Cannot use the database {Database}: {Reason}")]
    private static partial void LogDatabaseUnusable(ILogger logger, string database, string reason, Exception exception);
}
