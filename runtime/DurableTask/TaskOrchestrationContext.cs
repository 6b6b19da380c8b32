using Microsoft.Extensions.Logging;
using Serverless.DurableTask.Entities;

namespace Serverless.DurableTask;

/// <summary>
/// The orchestrator's only window on the world. Every member is deterministic and safe during replay;
/// orchestrator code must not use <see cref="DateTime.UtcNow"/>, <see cref="Guid.NewGuid"/>, I/O or
/// non-durable tasks: use <see cref="CurrentUtcDateTime"/>, <see cref="NewGuid"/>, activities and timers.
/// </summary>
public abstract class TaskOrchestrationContext
{
    /// <summary>Gets the name of the orchestrator.</summary>
    public abstract TaskName Name { get; }

    /// <summary>Gets the instance id.</summary>
    public abstract string InstanceId { get; }

    /// <summary>Gets the parent instance, when this is a sub-orchestration.</summary>
    public abstract ParentOrchestrationInstance? Parent { get; }

    /// <summary>Gets the current time, as recorded in history. This value is deterministic and safe for replays.</summary>
    public abstract DateTime CurrentUtcDateTime { get; }

    /// <summary>Gets whether the code is replaying recorded history (true) or running a step for the first time.</summary>
    public abstract bool IsReplaying { get; }

    /// <summary>Gets the entity feature: calling and signalling durable entities.</summary>
    public abstract TaskOrchestrationEntityFeature Entities { get; }

    /// <summary>Gets the input of the orchestration.</summary>
    public abstract T? GetInput<T>();

    /// <summary>Schedules an activity and returns its result.</summary>
    public abstract Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null);

    /// <summary>Schedules an activity.</summary>
    public Task CallActivityAsync(TaskName name, object? input = null, TaskOptions? options = null) =>
        CallActivityAsync<object>(name, input, options);

    /// <summary>Schedules a sub-orchestration and returns its output.</summary>
    public abstract Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null);

    /// <summary>Schedules a sub-orchestration.</summary>
    public Task CallSubOrchestratorAsync(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
        CallSubOrchestratorAsync<object>(orchestratorName, input, options);

    /// <summary>Creates a durable timer that fires at <paramref name="fireAt"/> (UTC).</summary>
    public abstract Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken);

    /// <summary>Creates a durable timer that fires after <paramref name="delay"/>.</summary>
    public Task CreateTimer(TimeSpan delay, CancellationToken cancellationToken) =>
        CreateTimer(CurrentUtcDateTime.Add(delay), cancellationToken);

    /// <summary>Waits for an external event. Events raised before the wait are buffered and delivered in order.</summary>
    public abstract Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default);

    /// <summary>Waits for an external event, throwing <see cref="TimeoutException"/> when <paramref name="timeout"/> passes first.</summary>
    public async Task<T> WaitForExternalEvent<T>(string eventName, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource();
        var timer = CreateTimer(timeout, cts.Token);
        var received = WaitForExternalEvent<T>(eventName, cts.Token);
        var winner = await Task.WhenAny(received, timer).ConfigureAwait(true);
        if (winner == received)
        {
            cts.Cancel();
            return await received.ConfigureAwait(true);
        }

        cts.Cancel();
        throw new TimeoutException($"Event '{eventName}' was not received within {timeout}.");
    }

    /// <summary>Sends an event to another orchestration instance (fire and forget, recorded in history).</summary>
    public abstract void SendEvent(string instanceId, string eventName, object? payload);

    /// <summary>Sets the custom status that clients see; serialized to JSON.</summary>
    public abstract void SetCustomStatus(object? customStatus);

    /// <summary>Ends this execution and starts the instance again with a new input and an empty history.</summary>
    /// <param name="newInput">The input of the new execution.</param>
    /// <param name="preserveUnprocessedEvents">Whether external events received but not yet consumed are carried over. Default is true.</param>
    public abstract void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true);

    /// <summary>Creates a new GUID that is the same on every replay (name-based, from the instance id and a counter).</summary>
    public abstract Guid NewGuid();

    /// <summary>Creates a logger that writes only when the code is not replaying.</summary>
    public abstract ILogger CreateReplaySafeLogger(string categoryName);

    /// <summary>Creates a logger that writes only when the code is not replaying.</summary>
    public ILogger CreateReplaySafeLogger(Type type) => CreateReplaySafeLogger(type?.FullName ?? "Orchestration");

    /// <summary>Creates a logger that writes only when the code is not replaying.</summary>
    public ILogger CreateReplaySafeLogger<T>() => CreateReplaySafeLogger(typeof(T));
}

/// <summary>The parent of a sub-orchestration.</summary>
/// <param name="Name">The parent's orchestrator name.</param>
/// <param name="InstanceId">The parent's instance id.</param>
public sealed record ParentOrchestrationInstance(TaskName Name, string InstanceId);
