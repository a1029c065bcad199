using Connect.Shared.Metrics;

namespace Connect.Runtime.Metrics;

/// <summary>The node's metrics store, once its claim on <c>Metrics.DataPath</c> is taken (null while metrics are off).</summary>
internal sealed class MetricsStoreHolder : IDisposable
{
    private MetricsClaim? _claim;

    public MetricsStore? Store { get; private set; }

    public void Open(MetricsClaim claim, string directory)
    {
        _claim = claim;
        Store = new MetricsStore(directory);
    }

    public void Dispose()
    {
        Store?.Dispose();
        _claim?.Dispose();
    }
}
