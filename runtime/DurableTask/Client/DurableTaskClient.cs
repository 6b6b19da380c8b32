using Serverless.DurableTask.Entities;

namespace Serverless.DurableTask.Client;

/// <summary>Starts, queries and controls orchestrations; the entry point for code outside orchestrations.</summary>
public abstract class DurableTaskClient
{
    /// <summary>Gets the task hub name.</summary>
    public abstract string Name { get; }

    /// <summary>Gets the entity client.</summary>
    public abstract DurableEntityClient Entities { get; }

    /// <summary>Schedules a new orchestration instance and returns its instance id.</summary>
    /// <exception cref="OrchestrationAlreadyExistsException">An instance with that id exists and has not finished.</exception>
    public abstract Task<string> ScheduleNewOrchestrationInstanceAsync(TaskName orchestratorName, object? input = null, StartOrchestrationOptions? options = null, CancellationToken cancellation = default);

    /// <summary>Raises an external event. Events are buffered until the orchestration waits for them.</summary>
    /// <exception cref="OrchestrationNotFoundException">No such instance.</exception>
    /// <exception cref="OrchestrationStateConflictException">The instance has finished.</exception>
    public abstract Task RaiseEventAsync(string instanceId, string eventName, object? eventPayload = null, CancellationToken cancellation = default);

    /// <summary>Gets an instance, or null when it does not exist.</summary>
    public abstract Task<OrchestrationMetadata?> GetInstanceAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default);

    /// <summary>Reads one page of instances matching the query.</summary>
    public abstract Task<Page<OrchestrationMetadata>> QueryInstancesAsync(OrchestrationQuery query, CancellationToken cancellation = default);

    /// <summary>Enumerates instances matching the query, page by page.</summary>
    public AsyncPageable<OrchestrationMetadata> GetAllInstancesAsync(OrchestrationQuery? filter = null)
    {
        var query = filter ?? new OrchestrationQuery();
        return new AsyncPageable<OrchestrationMetadata>((token, size, ct) =>
            QueryInstancesAsync(query with { ContinuationToken = token, PageSize = size ?? query.PageSize }, ct));
    }

    /// <summary>Gets the history of an instance's current execution, oldest first.</summary>
    public abstract Task<IReadOnlyList<HistoryEventInfo>> GetInstanceHistoryAsync(string instanceId, CancellationToken cancellation = default);

    /// <summary>Terminates a running instance; the output becomes <paramref name="output"/>.</summary>
    public abstract Task TerminateInstanceAsync(string instanceId, object? output = null, CancellationToken cancellation = default);

    /// <summary>Suspends a running instance: it takes no new work until resumed.</summary>
    public abstract Task SuspendInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default);

    /// <summary>Resumes a suspended instance.</summary>
    public abstract Task ResumeInstanceAsync(string instanceId, string? reason = null, CancellationToken cancellation = default);

    /// <summary>Starts an instance again with its original input; returns the instance id used.</summary>
    public abstract Task<string> RestartAsync(string instanceId, bool restartWithNewInstanceId = false, CancellationToken cancellation = default);

    /// <summary>Deletes a finished instance and its history.</summary>
    public abstract Task<PurgeResult> PurgeInstanceAsync(string instanceId, CancellationToken cancellation = default);

    /// <summary>Deletes finished instances matching the filter.</summary>
    public abstract Task<PurgeResult> PurgeAllInstancesAsync(PurgeInstancesFilter filter, CancellationToken cancellation = default);

    /// <summary>Waits until the instance has started (or finished).</summary>
    public abstract Task<OrchestrationMetadata> WaitForInstanceStartAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default);

    /// <summary>Waits until the instance has finished.</summary>
    public abstract Task<OrchestrationMetadata> WaitForInstanceCompletionAsync(string instanceId, bool getInputsAndOutputs = false, CancellationToken cancellation = default);
}

/// <summary>Signals and reads durable entities from outside orchestrations.</summary>
public abstract class DurableEntityClient
{
    /// <summary>Signals an entity operation (one-way).</summary>
    public abstract Task SignalEntityAsync(EntityInstanceId id, string operationName, object? input = null, SignalEntityOptions? options = null, CancellationToken cancellation = default);

    /// <summary>Gets an entity, or null when it does not exist.</summary>
    public abstract Task<EntityMetadata?> GetEntityAsync(EntityInstanceId id, bool includeState = true, CancellationToken cancellation = default);

    /// <summary>Reads one page of entities.</summary>
    public abstract Task<Page<EntityMetadata>> QueryEntitiesAsync(EntityQuery query, CancellationToken cancellation = default);

    /// <summary>Enumerates entities, page by page.</summary>
    public AsyncPageable<EntityMetadata> GetAllEntitiesAsync(EntityQuery? filter = null)
    {
        var query = filter ?? new EntityQuery();
        return new AsyncPageable<EntityMetadata>((token, size, ct) =>
            QueryEntitiesAsync(query with { ContinuationToken = token, PageSize = size ?? query.PageSize }, ct));
    }
}
