using Google.Protobuf.WellKnownTypes;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Worker.Entities;

/// <summary>One message delivered to an entity: the store's message id and the <c>EventRaised</c> event it carries.</summary>
internal sealed record EntityInboundMessage(long MessageId, P.HistoryEvent Event);

/// <summary>
/// One leased entity work item.
/// </summary>
/// <param name="InstanceId">The entity's instance id, <c>@name@key</c>.</param>
/// <param name="EntityState">The stored user state (the SDK's serialized state); null when there is none.</param>
/// <param name="SchedulerState">The stored scheduler state (lock owner and deferred requests, JSON written by this
/// module); null when unlocked with nothing deferred.</param>
/// <param name="Messages">The delivered messages, in delivery order.</param>
/// <param name="Now">The current time (UTC): the time of outgoing messages and the check of scheduled signals.</param>
internal sealed record EntityStepRequest(
    string InstanceId,
    string? EntityState,
    string? SchedulerState,
    IReadOnlyList<EntityInboundMessage> Messages,
    DateTime Now);

/// <summary>A message to send: an <c>EventRaised</c> for <paramref name="InstanceId"/>.</summary>
/// <param name="InstanceId">The receiver: the calling orchestration (a reply or a granted lock) or an entity (a signal,
/// a forwarded lock request, or this entity itself for a scheduled signal that came early or a backlog).</param>
/// <param name="Event">The event; <c>EventRaised</c> with the DTFx name (request id, <c>op</c>, <c>op@time</c>,
/// <c>continue</c>) and the JSON body.</param>
/// <param name="VisibleAt">Not to be delivered before this time (the due time of a scheduled signal, else now).</param>
/// <param name="TargetExecutionId">For replies and granted locks: the execution that asked (the request's
/// <c>parentExecution</c>); null for messages to entities.</param>
internal sealed record EntityOutgoingMessage(
    string InstanceId,
    P.HistoryEvent Event,
    DateTime VisibleAt,
    string? TargetExecutionId);

/// <summary>An orchestration an entity operation started (<c>context.ScheduleNewOrchestration</c>).</summary>
internal sealed record EntityOrchestrationStart(
    string Name,
    string InstanceId,
    string? Version,
    string? Input,
    DateTime? ScheduledStartTime)
{
    /// <summary>
    /// The <c>ExecutionStarted</c> event that starts it (a new execution id, no parent instance: as in DTFx the start is
    /// fire-and-forget, the entity gets no completion message).
    /// </summary>
    public P.HistoryEvent ToExecutionStartedEvent(DateTime now)
    {
        var started = new P.ExecutionStartedEvent
        {
            Name = this.Name,
            Version = this.Version,
            Input = this.Input,
            OrchestrationInstance = new P.OrchestrationInstance
            {
                InstanceId = this.InstanceId,
                ExecutionId = Guid.NewGuid().ToString("N"),
            },
        };
        if (this.ScheduledStartTime is DateTime at)
        {
            started.ScheduledStartTimestamp = Timestamp.FromDateTime(EntityTime.AsUtc(at));
        }

        return new P.HistoryEvent
        {
            EventId = -1,
            Timestamp = Timestamp.FromDateTime(EntityTime.AsUtc(now)),
            ExecutionStarted = started,
        };
    }
}

/// <summary>Counts for logging and metrics.</summary>
/// <param name="Operations">Operations run (through the SDK's entity runner, or failed because no entity is registered).</param>
/// <param name="Failed">Of those, operations that failed.</param>
/// <param name="Replies">Replies sent to callers (results, failures and granted locks).</param>
/// <param name="LocksGranted">Lock requests granted by this entity (forwarded or answered).</param>
/// <param name="Releases">Lock releases that unlocked the entity.</param>
/// <param name="Deferred">Requests left waiting in the scheduler state when the step ends.</param>
/// <param name="Rescheduled">Scheduled signals delivered before their time and sent again for later.</param>
/// <param name="Dropped">Messages dropped (unreadable, unknown, or signals to an unregistered entity).</param>
internal sealed record EntityStepCounts(
    int Operations,
    int Failed,
    int Replies,
    int LocksGranted,
    int Releases,
    int Deferred,
    int Rescheduled,
    int Dropped);

/// <summary>The outcome of one entity step, to be committed atomically with the consumption of the delivered messages.</summary>
/// <param name="EntityState">The new user state; null when the entity has no state (never had one, or was deleted).</param>
/// <param name="SchedulerState">The new scheduler state; null when unlocked with nothing deferred.</param>
/// <param name="Messages">Messages to send, in the order produced.</param>
/// <param name="OrchestrationStarts">Orchestrations to start.</param>
/// <param name="Counts">Counts for logging.</param>
internal sealed record EntityStepResult(
    string? EntityState,
    string? SchedulerState,
    IReadOnlyList<EntityOutgoingMessage> Messages,
    IReadOnlyList<EntityOrchestrationStart> OrchestrationStarts,
    EntityStepCounts Counts)
{
    /// <summary>No user state, no lock, nothing deferred: the store may delete the entity's instance row.</summary>
    public bool IsEmpty => this.EntityState is null && this.SchedulerState is null;
}
