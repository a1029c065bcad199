using Connect.Shared.Content;

namespace Connect.Runtime.Processes;

/// <summary>
/// What the worker pool needs of whatever runs its workers: a worker made (its place held), its process started, and
/// asked to stop. <see cref="WorkerLauncher"/> runs R in the sandbox; the pool's rules are tested with a fake.
/// </summary>
internal interface IWorkerLauncher
{
    /// <summary>A worker that holds its place but has no process yet; see <see cref="Launch"/>.</summary>
    Worker Create(ContentItem content, Bundle bundle);

    /// <summary>Starts the worker's process; a failure marks the worker exited, with its reason in its log lines.</summary>
    void Launch(Worker worker, ContentItem content, Bundle bundle, IReadOnlyDictionary<string, string> environment);

    /// <summary>Asks the worker's process to stop: an interrupt, then the process tree killed after a grace period.</summary>
    void Stop(Worker worker);
}
