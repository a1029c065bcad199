namespace Connect.Runtime.Sandbox;

/// <summary>What one R process may see of the data directory, and where it starts.</summary>
/// <param name="ReadOnly">Folders visible read-only (the content's bundle).</param>
/// <param name="Writable">Folders it may write (its own home, a render's output); given to the user it runs as.</param>
/// <param name="Home">Its <c>HOME</c>: a writable folder of its own, or the private <c>/tmp</c>.</param>
/// <param name="SocketFolder">A worker's socket folder on the host, seen inside as <see cref="WorkerSocket.InsideFolder"/>.</param>
/// <param name="ReadOnlyAt">Host folders seen read-only at another path inside (a spare's own folder).</param>
/// <param name="Library">Package cache entries seen read-only and put on <c>.libPaths()</c> ahead of the system library, in order.</param>
internal sealed record SandboxView(string WorkingDirectory, IReadOnlyList<string> ReadOnly, IReadOnlyList<string> Writable, string Home,
    string? SocketFolder = null, IReadOnlyList<(string Host, string Inside)>? ReadOnlyAt = null, IReadOnlyList<string>? Library = null)
{
    /// <summary>For R processes that belong to no content (listing installed packages).</summary>
    public static SandboxView Empty { get; } = new("/tmp", [], [], "/tmp");
}
