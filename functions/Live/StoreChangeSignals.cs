using Serverless.DurableTask.Client;

namespace CompanyHub.Functions.Live;

/// <summary>
/// Fans the durable store's change notifications (<see cref="DurableStoreChanges"/>: commits here and, through
/// PostgreSQL's NOTIFY, on other replicas) out to the live views that wait for them: one listener on the store for the
/// whole hub, then a dictionary lookup per changed instance.
/// </summary>
public sealed class StoreChangeSignals : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<ChangeSubscription>> _byInstance = new(StringComparer.Ordinal);
    private readonly HashSet<ChangeSubscription> _everything = [];
    private readonly IDisposable _listening;

    public StoreChangeSignals(DurableStoreChanges changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        _listening = changes.Listen(OnChanged);
    }

    /// <summary>Gets how many subscriptions are open (for tests and the load program's checks).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _everything.Count + _byInstance.Values.Sum(s => s.Count);
            }
        }
    }

    /// <summary>Starts waiting for changes of one instance (an entity as <c>@name@key</c>), or of every instance when null.</summary>
    public ChangeSubscription Watch(string? instanceId)
    {
        var subscription = new ChangeSubscription(this, instanceId);
        lock (_gate)
        {
            if (instanceId is null)
            {
                _everything.Add(subscription);
            }
            else
            {
                if (!_byInstance.TryGetValue(instanceId, out var set))
                {
                    set = [];
                    _byInstance[instanceId] = set;
                }

                set.Add(subscription);
            }
        }

        return subscription;
    }

    internal void Remove(ChangeSubscription subscription)
    {
        lock (_gate)
        {
            if (subscription.InstanceId is null)
            {
                _everything.Remove(subscription);
            }
            else if (_byInstance.TryGetValue(subscription.InstanceId, out var set) && set.Remove(subscription) && set.Count == 0)
            {
                _byInstance.Remove(subscription.InstanceId);
            }
        }
    }

    private void OnChanged(IReadOnlyCollection<string>? instanceIds)
    {
        List<(ChangeSubscription Subscription, string? Id)> told = [];
        lock (_gate)
        {
            if (instanceIds is null)
            {
                told.AddRange(_everything.Select(s => (s, (string?)null)));
                told.AddRange(_byInstance.Values.SelectMany(s => s).Select(s => (s, (string?)null)));
            }
            else
            {
                foreach (var id in instanceIds)
                {
                    if (_byInstance.TryGetValue(id, out var set))
                    {
                        told.AddRange(set.Select(s => (s, (string?)id)));
                    }

                    told.AddRange(_everything.Select(s => (s, (string?)id)));
                }
            }
        }

        foreach (var (subscription, id) in told)
        {
            subscription.Notify(id);
        }
    }

    public void Dispose() => _listening.Dispose();
}

/// <summary>How a wait for changes ended.</summary>
public enum ChangeWait
{
    /// <summary>Something changed: read again.</summary>
    Changed,

    /// <summary>Nothing changed within the time given.</summary>
    Quiet,

    /// <summary>The wait was cancelled (the caller left or the hub is stopping).</summary>
    Stopped,
}

/// <summary>One live view's wait for changes; disposing it ends the subscription.</summary>
public sealed class ChangeSubscription : IDisposable
{
    /// <summary>Beyond this many distinct changed ids between two reads, a subscription just says "everything".</summary>
    private const int MaxPendingIds = 10_000;

    private readonly StoreChangeSignals _owner;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private TaskCompletionSource _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _pending;
    private bool _everything;

    internal ChangeSubscription(StoreChangeSignals owner, string? instanceId)
    {
        _owner = owner;
        InstanceId = instanceId;
    }

    /// <summary>Gets the instance watched, or null for every instance.</summary>
    public string? InstanceId { get; }

    internal void Notify(string? instanceId)
    {
        lock (_gate)
        {
            _pending = true;
            if (instanceId is null || _ids.Count >= MaxPendingIds)
            {
                _everything = true;
                _ids.Clear();
            }
            else if (!_everything)
            {
                _ids.Add(instanceId);
            }

            _signal.TrySetResult();
        }
    }

    /// <summary>Waits until a change not yet taken arrives, <paramref name="timeout"/> passes, or the token is cancelled. Never throws on cancellation.</summary>
    public async Task<ChangeWait> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_gate)
        {
            if (_pending)
            {
                return ChangeWait.Changed;
            }

            signal = _signal.Task;
        }

        try
        {
            await signal.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return ChangeWait.Changed;
        }
        catch (TimeoutException)
        {
            return ChangeWait.Quiet;
        }
        catch (OperationCanceledException)
        {
            return ChangeWait.Stopped;
        }
    }

    /// <summary>Takes the changes seen since the last take: the changed ids, or null when any instance may have changed.</summary>
    public IReadOnlyCollection<string>? Take()
    {
        lock (_gate)
        {
            IReadOnlyCollection<string>? taken = _everything ? null : [.. _ids];
            _ids.Clear();
            _everything = false;
            _pending = false;
            if (_signal.Task.IsCompleted)
            {
                _signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            return taken;
        }
    }

    public void Dispose() => _owner.Remove(this);
}
