namespace Connect.Runtime.Processes;

/// <summary>An R process in its sandbox with shiny loaded, waiting on its standard input for the app it is to serve.</summary>
internal sealed class Spare(string folder, string socketFolder)
{
    /// <summary>Its folder as the sandbox sees it (bound there from <see cref="Folder"/>).</summary>
    public const string InsideFolder = "/tmp/spare";

    /// <summary>Its own folder under the node's spare root: the sandbox sees this (at <see cref="InsideFolder"/>) and nothing else of the node's.</summary>
    public string Folder { get; } = folder;

    /// <summary>Its socket's folder, which the worker it becomes keeps.</summary>
    public string SocketFolder { get; } = socketFolder;

    /// <summary>Where the app's bundle is bound (read-only) once it is given one.</summary>
    public string App => Path.Combine(Folder, "app");

    /// <summary>Where the content's home is bound (writable) once it is given one: its <c>HOME</c>.</summary>
    public string Home => Path.Combine(Folder, "home");

    /// <summary>The bundle's folder as the spare's R sees it.</summary>
    public static string InsideApp => InsideFolder + "/app";

    /// <summary>The home as the spare's R sees it.</summary>
    public static string InsideHome => InsideFolder + "/home";

    /// <summary>The R code that starts the app, written to the process's standard input.</summary>
    public TaskCompletionSource<string> Assignment { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CancellationTokenSource Graceful { get; } = new();

    public CancellationTokenSource Forceful { get; } = new();

    public int? Pid { get; set; }

    /// <summary>The worker it became; null while it waits.</summary>
    public volatile Worker? Worker;

    /// <summary>Its process has ended (set under the spares' lock, as <see cref="Worker"/> is, so a spare that dies as it is taken is never given a worker).</summary>
    public bool Exited { get; set; }
}
