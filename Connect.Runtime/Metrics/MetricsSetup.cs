using Connect.Shared.Web;
using System.Diagnostics;
using Connect.Shared.Cluster;
using Connect.Shared.Configuration;
using Connect.Shared.Metrics;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Connect.Runtime.Metrics;

internal static partial class MetricsSetup
{
    /// <summary>Set by the content endpoint on a request for an item that exists, so only real items become series.</summary>
    public const string ContentGuidItem = "connect.content.guid";

    /// <summary>Instruments, the sampler's store, Graphite, and OpenTelemetry's OTLP and Prometheus exporters as configured.</summary>
    public static IServiceCollection AddNodeMetrics(this IServiceCollection services, ConnectOptions options)
    {
        services.AddSingleton<NodeMeters>();
        services.AddSingleton<MetricsStoreHolder>();
        services.AddSingleton<GraphiteSender>();
        services.AddHostedService(sp => sp.GetRequiredService<GraphiteSender>());
        if (options.OpenTelemetry.Enabled || options.Prometheus.Enabled)
        {
            services.AddOpenTelemetry()
                .ConfigureResource(r => r.AddService("connect", serviceInstanceId: options.Node.Name, serviceVersion: NodeVersion.Current))
                .WithMetrics(metrics =>
                {
                    metrics.AddMeter(NodeMeters.MeterName);
                    // The runtime's own (GC heap, allocations, thread pool, working set): what tells a leak from a lazy GC.
                    metrics.AddMeter("System.Runtime");
                    if (options.OpenTelemetry.Enabled)
                    {
                        metrics.AddOtlpExporter(otlp =>
                        {
                            otlp.Protocol = options.OpenTelemetry.Protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                            if (options.OpenTelemetry.Endpoint is { } endpoint)
                            {
                                otlp.Endpoint = OtlpEndpoint(endpoint, otlp.Protocol);
                            }
                        });
                    }

                    if (options.Prometheus.Enabled)
                    {
                        metrics.AddPrometheusExporter();
                    }
                });
        }

        return services;
    }

    /// <summary>
    /// Takes this node's claim on <c>Metrics.DataPath</c> and opens its store; the reason it cannot, otherwise
    /// (another live node holds the folder).
    /// </summary>
    public static async Task<string?> OpenStoreAsync(IServiceProvider services, ConnectOptions options, CancellationToken cancellationToken)
    {
        if (!options.Metrics.Enabled)
        {
            return null;
        }

        var registry = services.GetRequiredService<NodeRegistry>();
        var identity = services.GetRequiredService<NodeIdentity>();
        var (claim, refusal) = await MetricsClaim.TakeAsync(options.MetricsDataPath, identity.Name, identity.InstanceId, async name =>
            (await registry.ListAsync(cancellationToken)).Any(n => n.Name == name && n.Status == NodeStatus.Running));
        if (claim is null)
        {
            return refusal;
        }

        services.GetRequiredService<MetricsStoreHolder>().Open(claim, options.MetricsDataPath);
        return null;
    }

    /// <summary>Counts and times every answered request for a content item (WebSockets are counted as open sessions instead).</summary>
    public static void UseContentMetrics(this WebApplication app)
    {
        var meters = app.Services.GetRequiredService<NodeMeters>();
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/content") || context.IsWebSocketUpgrade())
            {
                await next();
                return;
            }

            var started = Stopwatch.GetTimestamp();
            await next();
            if (context.Items[ContentGuidItem] is string guid)
            {
                meters.RequestAnswered(guid, context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
            }
        });
    }

    /// <summary>
    /// Prometheus's scrape endpoint, <c>/metrics</c>, for the addresses in <c>Prometheus.AllowFrom</c> only: it names
    /// every content item with traffic, which is not for the world.
    /// </summary>
    public static void MapPrometheus(this WebApplication app, ConnectOptions options)
    {
        if (!options.Prometheus.Enabled)
        {
            return;
        }

        var allowed = TrustedProxies.Parse(options.Prometheus.AllowFrom);
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/metrics"), branch => branch.Use(async (context, next) =>
        {
            var remote = context.Connection.RemoteIpAddress;
            if (!TrustedProxies.Contains(allowed, remote))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsync("metrics are only for the addresses in Prometheus.AllowFrom\n");
                return;
            }

            await next();
        }));
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous();
    }

    /// <summary>
    /// Where metrics are posted. Over HTTP a collector takes them at <c>/v1/metrics</c>, and the SDK adds that path only
    /// to an endpoint given in its environment variable, not to one set here: a base address such as
    /// <c>http://collector:4318</c> gets it added, a full signal URL is kept as it is. gRPC needs no path.
    /// </summary>
    internal static Uri OtlpEndpoint(string endpoint, OtlpExportProtocol protocol)
    {
        var uri = new Uri(endpoint);
        return protocol == OtlpExportProtocol.HttpProtobuf && uri.AbsolutePath is "" or "/" ? new Uri(uri, "v1/metrics") : uri;
    }
}
