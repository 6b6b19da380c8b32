namespace Serverless.DurableTask.Engine;

/// <summary>
/// Runs orchestrator continuations on the dispatcher thread, one at a time, in the order they were posted.
/// A continuation posted from another thread means the code awaited something that is not a durable task;
/// it is never run, and the instance fails at its next step.
/// </summary>
internal sealed class OrchestrationSynchronizationContext : SynchronizationContext
{
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _queue = new();
    private readonly Lock _lock = new();
    private Thread? _owner;

    public string? Violation { get; private set; }

    public void Enter() => _owner = Thread.CurrentThread;

    public void Leave() => _owner = null;

    public bool IsOwnerThread => _owner == Thread.CurrentThread;

    public override void Post(SendOrPostCallback d, object? state)
    {
        if (_owner != Thread.CurrentThread)
        {
            Violation ??= "The orchestrator awaited a task that is not a durable task (for example Task.Delay, Task.Run or I/O); " +
                "its continuation was posted from another thread. Use context.CreateTimer, activities and WaitForExternalEvent instead.";
            return;
        }

        lock (_lock)
        {
            _queue.Enqueue((d, state));
        }
    }

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Synchronous sends are not supported on the orchestration thread.");

    public override SynchronizationContext CreateCopy() => this;

    /// <summary>Runs queued continuations until none is left.</summary>
    public void Drain()
    {
        while (true)
        {
            (SendOrPostCallback Callback, object? State) item;
            lock (_lock)
            {
                if (!_queue.TryDequeue(out item))
                {
                    return;
                }
            }

            item.Callback(item.State);
        }
    }
}
