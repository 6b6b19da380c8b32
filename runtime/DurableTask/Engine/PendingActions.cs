namespace Serverless.DurableTask.Engine;

/// <summary>Something orchestrator code asked for in a step; becomes a history event and, when new, an outgoing message.</summary>
internal abstract record PendingAction(int TaskId)
{
    public abstract HistoryEvent ToHistoryEvent(DateTime now);

    /// <summary>Gets a short description for non-determinism errors.</summary>
    public abstract string Describe();

    /// <summary>Whether a recorded history event is the one this action produced in an earlier run.</summary>
    public abstract bool Matches(HistoryEvent recorded);
}

internal sealed record ScheduleTaskAction(int TaskId, string Name, string? Input) : PendingAction(TaskId)
{
    public override HistoryEvent ToHistoryEvent(DateTime now) => new TaskScheduledEvent(Name, Input) { EventId = TaskId, Timestamp = now };

    public override string Describe() => $"CallActivityAsync('{Name}')";

    public override bool Matches(HistoryEvent recorded) => recorded is TaskScheduledEvent e && string.Equals(e.Name, Name, StringComparison.OrdinalIgnoreCase);
}

internal sealed record CreateSubOrchestrationAction(int TaskId, string Name, string InstanceId, string? Input) : PendingAction(TaskId)
{
    public override HistoryEvent ToHistoryEvent(DateTime now) => new SubOrchestrationInstanceCreatedEvent(Name, InstanceId, Input) { EventId = TaskId, Timestamp = now };

    public override string Describe() => $"CallSubOrchestratorAsync('{Name}')";

    public override bool Matches(HistoryEvent recorded) => recorded is SubOrchestrationInstanceCreatedEvent e && string.Equals(e.Name, Name, StringComparison.OrdinalIgnoreCase);
}

internal sealed record CreateTimerAction(int TaskId, DateTime FireAt) : PendingAction(TaskId)
{
    public override HistoryEvent ToHistoryEvent(DateTime now) => new TimerCreatedEvent(FireAt) { EventId = TaskId, Timestamp = now };

    public override string Describe() => "CreateTimer";

    public override bool Matches(HistoryEvent recorded) => recorded is TimerCreatedEvent;
}

internal sealed record SendEventAction(int TaskId, string InstanceId, string Name, string? Input) : PendingAction(TaskId)
{
    public override HistoryEvent ToHistoryEvent(DateTime now) => new EventSentEvent(InstanceId, Name, Input) { EventId = TaskId, Timestamp = now };

    public override string Describe() => $"SendEvent('{Name}')";

    public override bool Matches(HistoryEvent recorded) => recorded is EventSentEvent e && string.Equals(e.Name, Name, StringComparison.OrdinalIgnoreCase);
}

internal sealed record CallEntityAction(int TaskId, string RequestId, string TargetInstanceId, string Operation, string? Input) : PendingAction(TaskId)
{
    public override HistoryEvent ToHistoryEvent(DateTime now) => new EntityOperationCalledEvent(RequestId, TargetInstanceId, Operation, Input) { EventId = TaskId, Timestamp = now };

    public override string Describe() => $"CallEntityAsync('{TargetInstanceId}', '{Operation}')";

    public override bool Matches(HistoryEvent recorded) => recorded is EntityOperationCalledEvent e && e.TargetInstanceId == TargetInstanceId && string.Equals(e.Operation, Operation, StringComparison.OrdinalIgnoreCase);
}

internal sealed record SignalEntityAction(int TaskId, string RequestId, string TargetInstanceId, string Operation, string? Input, DateTime? ScheduledTime) : PendingAction(TaskId)
{
    public override HistoryEvent ToHistoryEvent(DateTime now) => new EntityOperationSignaledEvent(RequestId, TargetInstanceId, Operation, Input, ScheduledTime) { EventId = TaskId, Timestamp = now };

    public override string Describe() => $"SignalEntityAsync('{TargetInstanceId}', '{Operation}')";

    public override bool Matches(HistoryEvent recorded) => recorded is EntityOperationSignaledEvent e && e.TargetInstanceId == TargetInstanceId && string.Equals(e.Operation, Operation, StringComparison.OrdinalIgnoreCase);
}

/// <summary>How a step ended the execution, if it did.</summary>
internal sealed record ExecutionOutcome(OrchestrationRuntimeStatus Status, string? Output, TaskFailureDetails? Failure, bool ContinuedAsNew = false, string? NewInput = null, IReadOnlyList<EventRaisedEvent>? CarryoverEvents = null);

/// <summary>The result of running one step of an orchestration.</summary>
internal sealed class ExecutionStepResult
{
    public required List<HistoryEvent> NewHistory { get; init; }

    public required List<PendingAction> NewActions { get; init; }

    public ExecutionOutcome? Outcome { get; init; }

    public string? CustomStatus { get; init; }
}
