using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Engine;

/// <summary>An instance row: an orchestration or an entity (id <c>@name@key</c>).</summary>
internal sealed record InstanceRecord
{
    public required string InstanceId { get; init; }

    public required string Name { get; init; }

    public required string ExecutionId { get; init; }

    public bool IsEntity { get; init; }

    public OrchestrationRuntimeStatus Status { get; init; }

    public string? Input { get; init; }

    public string? Output { get; init; }

    public string? CustomStatus { get; init; }

    public TaskFailureDetails? Failure { get; init; }

    public string? EntityState { get; init; }

    /// <summary>Gets an entity's lock owner and the requests it deferred while locked (the entity protocol's JSON), or null.</summary>
    public string? EntityScheduler { get; init; }

    public DateTime CreatedAt { get; init; }

    public DateTime LastUpdatedAt { get; init; }

    public DateTime? CompletedAt { get; init; }

    public string? ParentInstanceId { get; init; }

    /// <summary>Gets the task id of this sub-orchestration in its parent, or -1.</summary>
    public int ParentTaskId { get; init; } = -1;

    /// <summary>Gets how many history events the current execution has; lets a cached session tell it is current.</summary>
    public int HistoryCount { get; init; }
}

/// <summary>
/// A message waiting for an instance. <paramref name="TargetExecutionId"/> names the execution a completion (timer fired,
/// task or sub-orchestration result) is addressed to: task ids restart in every execution, so a completion for an
/// earlier one (before ContinueAsNew or a restart) is dropped.
/// </summary>
internal sealed record InstanceMessage(long Id, string InstanceId, DateTime VisibleAt, P.HistoryEvent Event, string? TargetExecutionId = null, int DequeueCount = 0)
{
    /// <summary>Gets whether this is a control message (terminate, suspend, resume), delivered even to a suspended instance.</summary>
    public bool IsControl => HistoryEvents.IsControl(Event);
}

/// <summary>An activity to run; <paramref name="TraceParent"/> is the W3C trace context of the step that scheduled it.</summary>
internal sealed record ActivityTask(long Id, string InstanceId, string ExecutionId, int TaskId, string Name, string? Input, int DequeueCount = 0, string? TraceParent = null);

/// <summary>A message to send as part of a step's commit.</summary>
internal sealed record OutgoingMessage(string InstanceId, P.HistoryEvent Event, DateTime VisibleAt, string? TargetExecutionId = null);

/// <summary>An instance to create as part of a step's commit (a sub-orchestration, or an orchestration started by an entity).</summary>
internal sealed record NewInstance(string InstanceId, string Name, string? Input, string? ParentInstanceId, P.HistoryEvent StartMessage, DateTime VisibleAt, int ParentTaskId = -1);

/// <summary>A leased orchestration or entity step.</summary>
internal sealed class OrchestrationWorkItem
{
    public required string InstanceId { get; init; }

    public required long LockToken { get; init; }

    /// <summary>Gets the instance row; null when messages arrived for an instance that does not exist (entity signals create it).</summary>
    public InstanceRecord? Instance { get; init; }

    public required IReadOnlyList<InstanceMessage> Messages { get; init; }
}

/// <summary>Everything one step changes, committed in one transaction.</summary>
internal sealed class OrchestrationCommit
{
    /// <summary>
    /// The crash point between a step's commit and the delivery of its tasks and messages to the ready queues: a crash
    /// here must lose nothing. Its sites are the orchestration's name and the names of the activities the step scheduled.
    /// </summary>
    public void ReachCommittedBeforeDelivery(OrchestrationWorkItem workItem)
    {
        string[] sites = [Instance?.Name ?? workItem.Instance?.Name ?? workItem.InstanceId, .. NewTasks.Select(t => t.Name)];
        CrashPoints.Reach(CrashPoints.AfterCommitBeforeDelivery, sites);
    }

    /// <summary>Gets the new state of the instance row; null when the step only drops messages.</summary>
    public required InstanceRecord? Instance { get; init; }

    /// <summary>Gets the events to append to history (already including the step's new events).</summary>
    public IReadOnlyList<P.HistoryEvent> NewHistory { get; init; } = [];

    /// <summary>Gets whether the history is replaced (ContinueAsNew) rather than appended to.</summary>
    public bool ReplaceHistory { get; init; }

    public IReadOnlyList<ActivityTask> NewTasks { get; init; } = [];

    public IReadOnlyList<OutgoingMessage> Messages { get; init; } = [];

    public IReadOnlyList<NewInstance> NewInstances { get; init; } = [];

    /// <summary>Gets the ids of the messages the step consumed.</summary>
    public IReadOnlyList<long> ConsumedMessageIds { get; init; } = [];

    /// <summary>Gets whether the instance row is deleted (an entity whose state became null).</summary>
    public bool DeleteInstance { get; init; }
}

/// <summary>A leased activity.</summary>
internal sealed class ActivityWorkItem
{
    public required ActivityTask Task { get; init; }

    public required long LockToken { get; init; }
}

/// <summary>A dead-lettered message.</summary>
internal sealed record DeadLetter(long Id, string Kind, string InstanceId, string Payload, string Reason, int DequeueCount, DateTime DeadLetteredAt);

/// <summary>Counts for the health page and the metrics: <paramref name="DueLater"/> messages are not due yet (durable timers,
/// scheduled signals); <paramref name="OldestWaitingSince"/> is when the longest-waiting due message or activity became due.</summary>
internal sealed record StoreStatistics(int PendingMessages, int PendingActivities, int LockedInstances, int DeadLetters, int Instances, int DueLater = 0, DateTime? OldestWaitingSince = null);

/// <summary>
/// The contract of a durable store. A store persists instances, history and queued messages, hands out
/// leased work items, and commits each step atomically.
/// </summary>
internal interface IOrchestrationStore : IAsyncDisposable
{
    string HubName { get; }

    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Waits until an instance has visible messages and is not leased, then leases it.</summary>
    Task<OrchestrationWorkItem> LockNextOrchestrationWorkItemAsync(CancellationToken cancellationToken);

    /// <summary>Commits a step and releases the lease. Throws <see cref="LeaseLostException"/> when the lease expired.</summary>
    Task CompleteOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, OrchestrationCommit commit);

    /// <summary>
    /// Releases the lease without committing; the messages will be delivered again. With <paramref name="storeFault"/>
    /// (the step failed because the store was unavailable, not because of the work) the delivery does not count toward
    /// dead-lettering.
    /// </summary>
    Task AbandonOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, bool storeFault = false);

    /// <summary>
    /// Gives the lease back without counting a delivery, and offers the instance's work again (to any host) only after
    /// <paramref name="delay"/>: a step this build cannot run (an unknown orchestrator, a newer version) waits for one that can.
    /// </summary>
    Task DeferOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, TimeSpan delay);

    /// <summary>Moves the item's messages to the dead-letter table and marks the instance failed, in one transaction.</summary>
    /// <remarks><paramref name="replies"/> are sent in the same transaction: the failure answers to callers waiting on the dead-lettered messages (entity calls).</remarks>
    Task DeadLetterOrchestrationWorkItemAsync(OrchestrationWorkItem workItem, string reason, IReadOnlyList<OutgoingMessage>? replies = null);

    Task<ActivityWorkItem> LockNextActivityWorkItemAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the activity and sends its result to the instance, in one transaction.</summary>
    Task CompleteActivityWorkItemAsync(ActivityWorkItem workItem, P.HistoryEvent result);

    Task AbandonActivityWorkItemAsync(ActivityWorkItem workItem);

    Task DeadLetterActivityWorkItemAsync(ActivityWorkItem workItem, string reason);

    /// <summary>Extends a lease; false when it was lost.</summary>
    bool RenewActivityLease(ActivityWorkItem workItem);

    Task<IReadOnlyList<P.HistoryEvent>> GetHistoryAsync(string instanceId, CancellationToken cancellationToken);

    // Client operations.
    Task CreateInstanceAsync(NewInstance instance, bool replaceTerminal, CancellationToken cancellationToken);

    Task SendMessageAsync(OutgoingMessage message, CancellationToken cancellationToken);

    Task<InstanceRecord?> GetInstanceAsync(string instanceId, CancellationToken cancellationToken);

    Task<StorePage<InstanceRecord>> QueryInstancesAsync(InstanceQuery query, bool entities, CancellationToken cancellationToken);

    Task<int> PurgeInstanceAsync(string instanceId, CancellationToken cancellationToken);

    Task<int> PurgeInstancesAsync(PurgeFilter filter, CancellationToken cancellationToken);

    /// <summary>Purges finished orchestrations completed before <paramref name="completedBefore"/>.</summary>
    Task<int> PurgeCompletedBeforeAsync(DateTime completedBefore, CancellationToken cancellationToken);

    /// <summary>Completes when the instance's row changes after the call (or the token is cancelled).</summary>
    Task WaitForInstanceChangeAsync(string instanceId, CancellationToken cancellationToken);

    /// <summary>
    /// Calls <paramref name="listener"/> with the ids of the instances whose rows changed, after each commit here or on
    /// another host sharing the store; null means any instance may have changed. Quick and never throwing; disposing stops it.
    /// </summary>
    IDisposable ListenForChanges(Action<IReadOnlyCollection<string>?> listener);

    Task<int> GetBacklogAsync(string instanceId, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeadLetter>> GetDeadLettersAsync(int top, CancellationToken cancellationToken);

    Task<StoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken);

    /// <summary>Checks that the store answers and its schema is current.</summary>
    Task<bool> IsReadyAsync(CancellationToken cancellationToken);
}

/// <summary>The lease of a work item expired and another worker may have taken it; the step was not committed.</summary>
internal sealed class LeaseLostException(string instanceId) : Exception($"The lease on '{instanceId}' was lost; the step was not committed.");

/// <summary>A filter over instances, with paging; the store's own form of the client's query.</summary>
internal sealed record InstanceQuery
{
    public DateTimeOffset? CreatedFrom { get; init; }

    public DateTimeOffset? CreatedTo { get; init; }

    public IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses { get; init; }

    public string? InstanceIdPrefix { get; init; }

    public string? Name { get; init; }

    public int PageSize { get; init; } = 100;

    public bool FetchInputsAndOutputs { get; init; }

    public string? ContinuationToken { get; init; }
}

/// <summary>One page of a query and the token of the next one (null on the last page).</summary>
internal sealed record StorePage<T>(IReadOnlyList<T> Values, string? ContinuationToken);

/// <summary>Which finished instances a bulk purge removes.</summary>
internal sealed record PurgeFilter(DateTimeOffset? CreatedFrom = null, DateTimeOffset? CreatedTo = null, IReadOnlyCollection<OrchestrationRuntimeStatus>? Statuses = null);
