using System.Text.Json.Serialization;

namespace Serverless.DurableTask.Engine;

/// <summary>
/// One event of an orchestration's history, or a message on its way to an instance. The history of an
/// execution is the ordered list of these; replaying it through the orchestrator code rebuilds its state.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "t")]
[JsonDerivedType(typeof(OrchestratorStartedEvent), "OrchestratorStarted")]
[JsonDerivedType(typeof(ExecutionStartedEvent), "ExecutionStarted")]
[JsonDerivedType(typeof(ExecutionCompletedEvent), "ExecutionCompleted")]
[JsonDerivedType(typeof(ExecutionTerminatedEvent), "ExecutionTerminated")]
[JsonDerivedType(typeof(ExecutionSuspendedEvent), "ExecutionSuspended")]
[JsonDerivedType(typeof(ExecutionResumedEvent), "ExecutionResumed")]
[JsonDerivedType(typeof(TaskScheduledEvent), "TaskScheduled")]
[JsonDerivedType(typeof(TaskCompletedEvent), "TaskCompleted")]
[JsonDerivedType(typeof(TaskFailedEvent), "TaskFailed")]
[JsonDerivedType(typeof(SubOrchestrationInstanceCreatedEvent), "SubOrchestrationInstanceCreated")]
[JsonDerivedType(typeof(SubOrchestrationInstanceCompletedEvent), "SubOrchestrationInstanceCompleted")]
[JsonDerivedType(typeof(SubOrchestrationInstanceFailedEvent), "SubOrchestrationInstanceFailed")]
[JsonDerivedType(typeof(TimerCreatedEvent), "TimerCreated")]
[JsonDerivedType(typeof(TimerFiredEvent), "TimerFired")]
[JsonDerivedType(typeof(EventRaisedEvent), "EventRaised")]
[JsonDerivedType(typeof(EventSentEvent), "EventSent")]
[JsonDerivedType(typeof(EntityOperationCalledEvent), "EntityOperationCalled")]
[JsonDerivedType(typeof(EntityOperationSignaledEvent), "EntityOperationSignaled")]
[JsonDerivedType(typeof(EntityOperationCompletedEvent), "EntityOperationCompleted")]
[JsonDerivedType(typeof(EntityOperationFailedEvent), "EntityOperationFailed")]
[JsonDerivedType(typeof(EntityRequestEvent), "EntityRequest")]
[JsonDerivedType(typeof(ContinueAsNewStartedEvent), "ContinueAsNewStarted")]
internal abstract record HistoryEvent
{
    /// <summary>Gets the task id the event belongs to (for *Scheduled/*Created/*Sent/*Called events), or -1.</summary>
    [JsonPropertyName("id")]
    public int EventId { get; init; } = -1;

    /// <summary>Gets when the event happened.</summary>
    [JsonPropertyName("ts")]
    public DateTime Timestamp { get; init; }

    /// <summary>
    /// Gets the execution a completion message (timer firing, activity result) is addressed to, or null. Task ids restart
    /// at 0 in every execution, so a completion for an earlier execution (before ContinueAsNew or a restart) is dropped.
    /// </summary>
    [JsonPropertyName("x")]
    public string? TargetExecutionId { get; init; }

    /// <summary>Gets whether this is a control message (terminate, suspend, resume) that is delivered even to a suspended instance.</summary>
    [JsonIgnore]
    public virtual bool IsControl => false;
}

/// <summary>Marks the start of a step; its timestamp is the orchestration's current time for the step.</summary>
internal sealed record OrchestratorStartedEvent : HistoryEvent;

/// <summary>Starts an execution. A sub-orchestration records its parent's execution, so its result reaches only that execution.</summary>
internal sealed record ExecutionStartedEvent(string Name, string? Input, string ExecutionId, string? ParentInstanceId = null, string? ParentName = null, int ParentTaskId = -1, string? ParentExecutionId = null) : HistoryEvent;

internal sealed record ExecutionCompletedEvent(OrchestrationRuntimeStatus Status, string? Result, TaskFailureDetails? Failure) : HistoryEvent;

internal sealed record ExecutionTerminatedEvent(string? Reason) : HistoryEvent
{
    public override bool IsControl => true;
}

internal sealed record ExecutionSuspendedEvent(string? Reason) : HistoryEvent
{
    public override bool IsControl => true;
}

internal sealed record ExecutionResumedEvent(string? Reason) : HistoryEvent
{
    public override bool IsControl => true;
}

internal sealed record TaskScheduledEvent(string Name, string? Input) : HistoryEvent;

internal sealed record TaskCompletedEvent(int TaskScheduledId, string? Result) : HistoryEvent;

internal sealed record TaskFailedEvent(int TaskScheduledId, TaskFailureDetails Failure) : HistoryEvent;

internal sealed record SubOrchestrationInstanceCreatedEvent(string Name, string InstanceId, string? Input) : HistoryEvent;

internal sealed record SubOrchestrationInstanceCompletedEvent(int TaskScheduledId, string? Result) : HistoryEvent;

internal sealed record SubOrchestrationInstanceFailedEvent(int TaskScheduledId, TaskFailureDetails Failure) : HistoryEvent;

internal sealed record TimerCreatedEvent(DateTime FireAt) : HistoryEvent;

internal sealed record TimerFiredEvent(int TimerId, DateTime FireAt) : HistoryEvent;

internal sealed record EventRaisedEvent(string Name, string? Input) : HistoryEvent;

internal sealed record EventSentEvent(string InstanceId, string Name, string? Input) : HistoryEvent;

internal sealed record EntityOperationCalledEvent(string RequestId, string TargetInstanceId, string Operation, string? Input) : HistoryEvent;

internal sealed record EntityOperationSignaledEvent(string RequestId, string TargetInstanceId, string Operation, string? Input, DateTime? ScheduledTime) : HistoryEvent;

internal sealed record EntityOperationCompletedEvent(string RequestId, string? Result) : HistoryEvent;

internal sealed record EntityOperationFailedEvent(string RequestId, TaskFailureDetails Failure) : HistoryEvent;

/// <summary>A message to an entity: one operation, signalled or called (with a reply address).</summary>
internal sealed record EntityRequestEvent(string RequestId, string Operation, string? Input, string? ReplyToInstanceId) : HistoryEvent;

/// <summary>Wakes an instance that restarted itself with <c>ContinueAsNew</c>; never recorded in history.</summary>
internal sealed record ContinueAsNewStartedEvent : HistoryEvent;
