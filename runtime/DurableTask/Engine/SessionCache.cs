namespace Serverless.DurableTask.Engine;

/// <summary>
/// Keeps executors of idle instances between steps (extended sessions), so the next step applies only its new
/// events instead of replaying the whole history. Bounded by count and idle time.
/// </summary>
internal sealed class SessionCache
{
    private readonly Dictionary<string, LinkedListNode<Entry>> _map = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _lru = new();
    private readonly Lock _lock = new();
    private readonly int _capacity;
    private readonly TimeSpan _idleTimeout;

    public SessionCache(int capacity, TimeSpan idleTimeout)
    {
        _capacity = capacity;
        _idleTimeout = idleTimeout;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    public sealed record Entry(string InstanceId, string ExecutionId, int HistoryCount, OrchestrationExecutor Executor, DateTime LastUsed);

    /// <summary>Takes the executor out of the cache if it is current for <paramref name="executionId"/> and <paramref name="historyCount"/>.</summary>
    public OrchestrationExecutor? Take(string instanceId, string executionId, int historyCount)
    {
        lock (_lock)
        {
            if (!_map.Remove(instanceId, out var node))
            {
                return null;
            }

            _lru.Remove(node);
            var e = node.Value;
            return e.ExecutionId == executionId && e.HistoryCount == historyCount && DateTime.UtcNow - e.LastUsed < _idleTimeout ? e.Executor : null;
        }
    }

    public void Put(string instanceId, string executionId, int historyCount, OrchestrationExecutor executor)
    {
        if (_capacity <= 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_map.Remove(instanceId, out var old))
            {
                _lru.Remove(old);
            }

            var node = _lru.AddFirst(new Entry(instanceId, executionId, historyCount, executor, DateTime.UtcNow));
            _map[instanceId] = node;
            var cutoff = DateTime.UtcNow - _idleTimeout;
            while (_lru.Last is { } last && (_map.Count > _capacity || last.Value.LastUsed < cutoff))
            {
                _map.Remove(last.Value.InstanceId);
                _lru.RemoveLast();
            }
        }
    }

    public void Evict(string instanceId)
    {
        lock (_lock)
        {
            if (_map.Remove(instanceId, out var node))
            {
                _lru.Remove(node);
            }
        }
    }
}
