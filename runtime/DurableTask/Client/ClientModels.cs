using Serverless.DurableTask.Entities;

namespace Serverless.DurableTask.Client;

/// <summary>Options for starting an orchestration.</summary>
public sealed record StartOrchestrationOptions
{
    /// <summary>Initializes a new instance of the <see cref="StartOrchestrationOptions"/> class.</summary>
    public StartOrchestrationOptions(string? instanceId = null, DateTimeOffset? startAt = null)
    {
        InstanceId = instanceId;
        StartAt = startAt;
    }

    /// <summary>Gets the instance id. Default is a new GUID (32 hex digits).</summary>
    public string? InstanceId { get; init; }

    /// <summary>Gets the time the orchestration starts. Default is now.</summary>
    public DateTimeOffset? StartAt { get; init; }
}

/// <summary>The state of an orchestration instance as a client sees it.</summary>
public sealed class OrchestrationMetadata
{
    /// <summary>Initializes a new instance of the <see cref="OrchestrationMetadata"/> class.</summary>
    public OrchestrationMetadata(string name, string instanceId)
    {
        Name = name;
        InstanceId = instanceId;
    }

    /// <summary>Gets the orchestrator name.</summary>
    public string Name { get; }

    /// <summary>Gets the instance id.</summary>
    public string InstanceId { get; }

    /// <summary>Gets the runtime status.</summary>
    public OrchestrationRuntimeStatus RuntimeStatus { get; init; }

    /// <summary>Gets the creation time.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets the time of the last change.</summary>
    public DateTimeOffset LastUpdatedAt { get; init; }

    /// <summary>Gets the input as JSON, when requested.</summary>
    public string? SerializedInput { get; init; }

    /// <summary>Gets the output as JSON, when requested.</summary>
    public string? SerializedOutput { get; init; }

    /// <summary>Gets the custom status as JSON.</summary>
    public string? SerializedCustomStatus { get; init; }

    /// <summary>Gets the failure, when the instance failed.</summary>
    public TaskFailureDetails? FailureDetails { get; init; }

    /// <summary>Gets the parent instance id, when this is a sub-orchestration.</summary>
    public string? ParentInstanceId { get; init; }

    /// <summary>Gets the converter used by the Read* methods.</summary>
    public DataConverter DataConverter { get; init; } = JsonDataConverter.Default;

    /// <summary>Gets whether the instance is running (pending, running or suspended).</summary>
    public bool IsRunning => RuntimeStatus is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Suspended;

    /// <summary>Gets whether the instance has finished.</summary>
    public bool IsCompleted => RuntimeStatus.IsTerminal();

    /// <summary>Reads the input.</summary>
    public T? ReadInputAs<T>() => DataConverter.Deserialize<T>(SerializedInput);

    /// <summary>Reads the output.</summary>
    public T? ReadOutputAs<T>() => DataConverter.Deserialize<T>(SerializedOutput);

    /// <summary>Reads the custom status.</summary>
    public T? ReadCustomStatusAs<T>() => DataConverter.Deserialize<T>(SerializedCustomStatus);
}

/// <summary>A filter over orchestration instances, with paging.</summary>
public sealed record OrchestrationQuery
{
    /// <summary>Gets the earliest creation time (inclusive).</summary>
    public DateTimeOffset? CreatedFrom { get; init; }

    /// <summary>Gets the latest creation time (inclusive).</summary>
    public DateTimeOffset? CreatedTo { get; init; }

    /// <summary>Gets the statuses to include. Default is all.</summary>
    public IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses { get; init; }

    /// <summary>Gets the instance id prefix.</summary>
    public string? InstanceIdPrefix { get; init; }

    /// <summary>Gets the orchestrator name (exact, case-insensitive). An extension of this runtime.</summary>
    public string? Name { get; init; }

    /// <summary>Gets the page size. Default is 100.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Gets whether inputs and outputs are returned. Default is false.</summary>
    public bool FetchInputsAndOutputs { get; init; }

    /// <summary>Gets the continuation token of the page to read.</summary>
    public string? ContinuationToken { get; init; }
}

/// <summary>One page of results and the token of the next page (null on the last page).</summary>
/// <typeparam name="T">The item type.</typeparam>
/// <param name="Values">The items.</param>
/// <param name="ContinuationToken">The token of the next page, or null.</param>
public sealed record Page<T>(IReadOnlyList<T> Values, string? ContinuationToken);

/// <summary>A filter for purging many instances.</summary>
/// <param name="CreatedFrom">The earliest creation time (inclusive).</param>
/// <param name="CreatedTo">The latest creation time (inclusive).</param>
/// <param name="Statuses">The statuses to purge; only terminal statuses are purged. Default is every terminal status.</param>
public sealed record PurgeInstancesFilter(DateTimeOffset? CreatedFrom = null, DateTimeOffset? CreatedTo = null, IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses = null);

/// <summary>The result of a purge.</summary>
/// <param name="PurgedInstanceCount">How many instances were deleted.</param>
public sealed record PurgeResult(int PurgedInstanceCount);

/// <summary>The state of a durable entity as a client sees it.</summary>
public sealed class EntityMetadata
{
    /// <summary>Initializes a new instance of the <see cref="EntityMetadata"/> class.</summary>
    public EntityMetadata(EntityInstanceId id)
    {
        Id = id;
    }

    /// <summary>Gets the id.</summary>
    public EntityInstanceId Id { get; }

    /// <summary>Gets the time of the last change.</summary>
    public DateTimeOffset LastModifiedTime { get; init; }

    /// <summary>Gets the state as JSON, when requested.</summary>
    public string? SerializedState { get; init; }

    /// <summary>Gets the number of operations waiting to run.</summary>
    public int BacklogQueueSize { get; init; }

    /// <summary>Gets the converter used by <see cref="ReadStateAs{T}"/>.</summary>
    public DataConverter DataConverter { get; init; } = JsonDataConverter.Default;

    /// <summary>Reads the state.</summary>
    public T? ReadStateAs<T>() => DataConverter.Deserialize<T>(SerializedState);
}

/// <summary>A filter over entities, with paging.</summary>
public sealed record EntityQuery
{
    /// <summary>Gets the instance id prefix, e.g. <c>@counter@</c>.</summary>
    public string? InstanceIdStartsWith { get; init; }

    /// <summary>Gets whether state is returned. Default is true.</summary>
    public bool IncludeState { get; init; } = true;

    /// <summary>Gets the page size. Default is 100.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Gets the continuation token of the page to read.</summary>
    public string? ContinuationToken { get; init; }
}

/// <summary>A history event as the management API shows it.</summary>
/// <param name="EventId">The task id the event refers to, or -1.</param>
/// <param name="EventType">The event type name.</param>
/// <param name="Timestamp">When it was recorded.</param>
/// <param name="Name">The task, timer or event name, when there is one.</param>
/// <param name="Data">The input, result or failure as JSON, when there is one.</param>
/// <param name="ScheduledId">The id of the task a completion refers to, when there is one.</param>
public sealed record HistoryEventInfo(int EventId, string EventType, DateTimeOffset Timestamp, string? Name, string? Data, int? ScheduledId);
