namespace Serverless.DurableTask.Engine;

/// <summary>The callers of <see cref="IOrchestrationStore.WaitForInstanceChangeAsync"/>, by instance id; a store wakes them when it commits a change.</summary>
internal sealed class InstanceWatchers
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<TaskCompletionSource>> _watchers = new(StringComparer.Ordinal);

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
    }
}
