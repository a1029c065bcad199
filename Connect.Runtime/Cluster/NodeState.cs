namespace Connect.Runtime.Cluster;

/// <summary>Whether this node still takes work, and the exit code it will end with.</summary>
internal sealed class NodeState(IHostApplicationLifetime lifetime)
{
    private volatile string? _drainReason;

    /// <summary>Why the node is draining (answering 503 to health checks), or null while it serves.</summary>
    public string? DrainReason => _drainReason ?? (lifetime.ApplicationStopping.IsCancellationRequested ? "the node is stopping" : null);

    public int ExitCode { get; private set; }

    /// <summary>Stops taking work: health checks fail from now on, then the node shuts down with <paramref name="exitCode"/>.</summary>
    public void Drain(string reason, int exitCode)
    {
        _drainReason = reason;
        ExitCode = exitCode;
    }
}
