namespace Serverless.DurableTask.Engine;

/// <summary>
/// The callers of <see cref="IOrchestrationStore.WaitForInstanceChangeAsync"/>, by instance id, and the listeners of
/// <see cref="IOrchestrationStore.ListenForChanges"/>, told of every change; a store wakes them when it commits a change
/// (here or, through PostgreSQL's NOTIFY, on another host).
/// </summary>
internal sealed class InstanceWatchers
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<TaskCompletionSource>> _watchers = new(StringComparer.Ordinal);
    private volatile Action<IReadOnlyCollection<string>?>[] _listeners = [];

    /// <summary>
    /// Calls <paramref name="listener"/> with the ids of the instances that changed at every wake, or with null when
    /// every instance may have changed (the store lost sight of changes for a while). It runs on the committing thread:
    /// it must be quick and must not throw. Disposing the result stops the calls.
    /// </summary>
    public IDisposable Listen(Action<IReadOnlyCollection<string>?> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_gate)
        {
            _listeners = [.. _listeners, listener];
        }

        return new Unlisten(this, listener);
    }

    private void Tell(IReadOnlyCollection<string>? instanceIds)
    {
        foreach (var listener in _listeners)
        {
            listener(instanceIds);
        }
    }

    private sealed class Unlisten(InstanceWatchers owner, Action<IReadOnlyCollection<string>?> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._listeners = [.. owner._listeners.Where(l => l != listener)];
            }
        }
    }

    /// <summary>Completes at the next <see cref="Wake(string)"/> of the instance (or of all), or is cancelled with the token.</summary>
    public Task WaitAsync(string instanceId, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (!_watchers.TryGetValue(instanceId, out var list))
            {
                list = [];
                _watchers[instanceId] = list;
            }

            list.Add(tcs);
        }

        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(() =>
            {
                lock (_gate)
                {
                    if (_watchers.TryGetValue(instanceId, out var list))
                    {
                        list.Remove(tcs);
                        if (list.Count == 0)
                        {
                            _watchers.Remove(instanceId);
                        }
                    }
                }

                tcs.TrySetCanceled(cancellationToken);
            });
        }

        return tcs.Task;
    }

    public void Wake(string instanceId) => Wake([instanceId]);

    public void Wake(IEnumerable<string> instanceIds)
    {
        if (_listeners.Length > 0)
        {
            var ids = instanceIds as IReadOnlyCollection<string> ?? [.. instanceIds];
            instanceIds = ids;
            Tell(ids);
        }

        var woken = new List<TaskCompletionSource>();
        lock (_gate)
        {
            foreach (var id in instanceIds)
            {
                if (_watchers.Remove(id, out var list))
                {
                    woken.AddRange(list);
                }
            }
        }

        woken.ForEach(tcs => tcs.TrySetResult());
    }

    /// <summary>Wakes every watcher (they read again); with <paramref name="cancel"/>, cancels them instead (the store is closing).</summary>
    public void WakeAll(bool cancel = false)
    {
        List<TaskCompletionSource> woken;
        lock (_gate)
        {
            woken = _watchers.Values.SelectMany(l => l).ToList();
            _watchers.Clear();
        }

        woken.ForEach(tcs => _ = cancel ? tcs.TrySetCanceled() : tcs.TrySetResult());
        if (!cancel)
        {
            Tell(null);
        }
    }
}
