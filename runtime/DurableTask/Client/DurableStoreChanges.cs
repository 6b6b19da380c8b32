using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask.Client;

/// <summary>
/// The instances whose rows change in the durable store, as they change (an addition of this runtime; not in
/// Microsoft's SDK): what a live view listens to instead of polling. Changes committed by this host are told at once;
/// changes committed by another host sharing a PostgreSQL store arrive through the store's NOTIFY channel.
/// </summary>
public sealed class DurableStoreChanges
{
    private readonly IOrchestrationStore _store;

    internal DurableStoreChanges(IOrchestrationStore store)
    {
        _store = store;
    }

    /// <summary>
    /// Calls <paramref name="listener"/> after each commit with the ids of the instances that changed (entities as
    /// <c>@name@key</c>), or with null when any instance may have changed (the store lost sight of changes for a while,
    /// e.g. its PostgreSQL listening connection was re-established): read again what matters. The listener runs on the
    /// committing thread, so it must be quick and must not throw. Disposing the result stops the calls.
    /// </summary>
    public IDisposable Listen(Action<IReadOnlyCollection<string>?> listener) => _store.ListenForChanges(listener);
}
