using Serverless.DurableTask.Engine;

namespace Serverless.DurableTask.Client;

/// <summary>Maps stored history events to the shape the management API shows.</summary>
internal static class HistoryEventInfoMapper
{
    public static HistoryEventInfo ToInfo(HistoryEvent e)
    {
        var type = e.GetType().Name[..^"Event".Length];
        var ts = new DateTimeOffset(DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc));
        return e switch
        {
            ExecutionStartedEvent s => new(e.EventId, type, ts, s.Name, s.Input, null),
            ExecutionCompletedEvent c => new(e.EventId, type, ts, c.Status.ToString(), c.Result ?? FailureText(c.Failure), null),
            ExecutionTerminatedEvent t => new(e.EventId, type, ts, null, t.Reason, null),
            ExecutionSuspendedEvent s => new(e.EventId, type, ts, null, s.Reason, null),
            ExecutionResumedEvent r => new(e.EventId, type, ts, null, r.Reason, null),
            TaskScheduledEvent s => new(e.EventId, type, ts, s.Name, s.Input, null),
            TaskCompletedEvent c => new(e.EventId, type, ts, null, c.Result, c.TaskScheduledId),
            TaskFailedEvent f => new(e.EventId, type, ts, null, FailureText(f.Failure), f.TaskScheduledId),
            SubOrchestrationInstanceCreatedEvent s => new(e.EventId, type, ts, s.Name, s.Input, null),
            SubOrchestrationInstanceCompletedEvent c => new(e.EventId, type, ts, null, c.Result, c.TaskScheduledId),
            SubOrchestrationInstanceFailedEvent f => new(e.EventId, type, ts, null, FailureText(f.Failure), f.TaskScheduledId),
            TimerCreatedEvent t => new(e.EventId, type, ts, null, t.FireAt.ToString("o", System.Globalization.CultureInfo.InvariantCulture), null),
            TimerFiredEvent t => new(e.EventId, type, ts, null, t.FireAt.ToString("o", System.Globalization.CultureInfo.InvariantCulture), t.TimerId),
            EventRaisedEvent r => new(e.EventId, type, ts, r.Name, r.Input, null),
            EventSentEvent s => new(e.EventId, type, ts, s.Name, s.Input, null),
            EntityOperationCalledEvent c => new(e.EventId, type, ts, $"{c.TargetInstanceId}:{c.Operation}", c.Input, null),
            EntityOperationSignaledEvent s => new(e.EventId, type, ts, $"{s.TargetInstanceId}:{s.Operation}", s.Input, null),
            EntityOperationCompletedEvent c => new(e.EventId, type, ts, null, c.Result, null),
            EntityOperationFailedEvent f => new(e.EventId, type, ts, null, FailureText(f.Failure), null),
            _ => new(e.EventId, type, ts, null, null, null),
        };
    }

    private static string? FailureText(TaskFailureDetails? failure) => failure is null ? null : $"{failure.ErrorType}: {failure.ErrorMessage}";
}
