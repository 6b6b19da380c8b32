using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Microsoft.DurableTask;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Engine;

/// <summary>
/// The stores keep Microsoft's protobuf <see cref="P.HistoryEvent"/>: the history of an execution is the ordered list
/// of these, and a message on its way to an instance is one of them. This class makes and reads the few the
/// dispatcher and the client write themselves.
/// </summary>
internal static class HistoryEvents
{
    /// <summary>Gets whether an event is a control message (terminate, suspend, resume), delivered even to a suspended instance.</summary>
    public static bool IsControl(P.HistoryEvent e) => e.EventTypeCase is P.HistoryEvent.EventTypeOneofCase.ExecutionTerminated
        or P.HistoryEvent.EventTypeOneofCase.ExecutionSuspended or P.HistoryEvent.EventTypeOneofCase.ExecutionResumed;

    /// <summary>Encodes an event as the bytes the stores keep.</summary>
    public static byte[] Encode(P.HistoryEvent e) => e.ToByteArray();

    /// <summary>Decodes stored bytes; throws <see cref="InvalidDataException"/> when they are not an event.</summary>
    public static P.HistoryEvent Decode(byte[] bytes)
    {
        try
        {
            var e = P.HistoryEvent.Parser.ParseFrom(bytes);
            return e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.None
                ? throw new InvalidDataException("A stored event has no type.")
                : e;
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"A stored event is not a protobuf HistoryEvent: {ex.Message}", ex);
        }
    }

    /// <summary>Gets the event's kind for logs and dead letters ("TaskCompleted", "EventRaised", ...).</summary>
    public static string Kind(P.HistoryEvent e) => e.EventTypeCase.ToString();

    /// <summary>Gets the execution id an <c>ExecutionStarted</c> event starts, or null for other events.</summary>
    public static string? StartedExecutionId(P.HistoryEvent e) =>
        e.EventTypeCase == P.HistoryEvent.EventTypeOneofCase.ExecutionStarted ? e.ExecutionStarted.OrchestrationInstance?.ExecutionId : null;

    public static Timestamp Time(DateTime utc) => Timestamp.FromDateTime(DateTime.SpecifyKind(utc, DateTimeKind.Utc));

    public static P.HistoryEvent OrchestratorStarted(DateTime now) => new() { EventId = -1, Timestamp = Time(now), OrchestratorStarted = new() };

    /// <summary>Starts an execution; a sub-orchestration names its parent so its result reaches that execution only.</summary>
    public static P.HistoryEvent ExecutionStarted(string name, string instanceId, string executionId, string? input, DateTime now, DateTime? scheduledStart = null, P.ParentInstanceInfo? parent = null)
    {
        var started = new P.ExecutionStartedEvent
        {
            Name = name,
            Input = input,
            OrchestrationInstance = new P.OrchestrationInstance { InstanceId = instanceId, ExecutionId = executionId },
            ParentInstance = parent,
        };
        if (scheduledStart is { } at)
        {
            started.ScheduledStartTimestamp = Time(at);
        }

        return new P.HistoryEvent { EventId = -1, Timestamp = Time(now), ExecutionStarted = started };
    }

    public static P.HistoryEvent ExecutionCompleted(P.OrchestrationStatus status, string? result, P.TaskFailureDetails? failure, DateTime now) => new()
    {
        EventId = -1,
        Timestamp = Time(now),
        ExecutionCompleted = new P.ExecutionCompletedEvent { OrchestrationStatus = status, Result = result, FailureDetails = failure },
    };

    public static P.HistoryEvent EventRaised(string name, string? input, DateTime now) => new()
    {
        EventId = -1,
        Timestamp = Time(now),
        EventRaised = new P.EventRaisedEvent { Name = name, Input = input },
    };

    public static P.HistoryEvent Terminated(string? output, DateTime now) => new()
    {
        EventId = -1,
        Timestamp = Time(now),
        ExecutionTerminated = new P.ExecutionTerminatedEvent { Input = output },
    };

    public static P.HistoryEvent Suspended(string? reason, DateTime now) => new()
    {
        EventId = -1,
        Timestamp = Time(now),
        ExecutionSuspended = new P.ExecutionSuspendedEvent { Input = reason },
    };

    public static P.HistoryEvent Resumed(string? reason, DateTime now) => new()
    {
        EventId = -1,
        Timestamp = Time(now),
        ExecutionResumed = new P.ExecutionResumedEvent { Input = reason },
    };

    public static P.HistoryEvent TaskCompleted(int taskId, string? result, DateTime now) => new()
    {
        EventId = -1,
        Timestamp = Time(now),
        TaskCompleted = new P.TaskCompletedEvent { TaskScheduledId = taskId, Result = result },
    };

    public static P.HistoryEvent TaskFailed(int taskId, P.TaskFailureDetails failure, DateTime now) => new()
    {
        EventId = -1,
        Timestamp = Time(now),
        TaskFailed = new P.TaskFailedEvent { TaskScheduledId = taskId, FailureDetails = failure },
    };

    public static P.HistoryEvent TimerFired(int timerId, DateTime fireAt) => new()
    {
        EventId = -1,
        Timestamp = Time(fireAt),
        TimerFired = new P.TimerFiredEvent { TimerId = timerId, FireAt = Time(fireAt) },
    };

    public static P.HistoryEvent SubOrchestrationCompleted(int taskId, string? result, DateTime now) => new()
    {
        EventId = -1,
        Timestamp = Time(now),
        SubOrchestrationInstanceCompleted = new P.SubOrchestrationInstanceCompletedEvent { TaskScheduledId = taskId, Result = result },
    };

    public static P.HistoryEvent SubOrchestrationFailed(int taskId, P.TaskFailureDetails failure, DateTime now) => new()
    {
        EventId = -1,
        Timestamp = Time(now),
        SubOrchestrationInstanceFailed = new P.SubOrchestrationInstanceFailedEvent { TaskScheduledId = taskId, FailureDetails = failure },
    };

    /// <summary>Converts failure details to their protobuf form (inner failures included).</summary>
    public static P.TaskFailureDetails ToProto(TaskFailureDetails details)
    {
        var proto = new P.TaskFailureDetails
        {
            ErrorType = details.ErrorType,
            ErrorMessage = details.ErrorMessage,
            StackTrace = details.StackTrace,
        };
        if (details.InnerFailure is { } inner)
        {
            proto.InnerFailure = ToProto(inner);
        }

        return proto;
    }

    /// <summary>Converts protobuf failure details to the SDK's record (inner failures included).</summary>
    public static TaskFailureDetails FromProto(P.TaskFailureDetails proto) =>
        new(proto.ErrorType, proto.ErrorMessage, proto.StackTrace, proto.InnerFailure is { } inner ? FromProto(inner) : null, null);

    /// <summary>Failure details for an exception the dispatcher itself raises (not registered, history unreadable).</summary>
    public static P.TaskFailureDetails Failure(string errorType, string message) => new() { ErrorType = errorType, ErrorMessage = message };

    /// <summary>Describes an exception as failure details, with its inner exceptions, as Microsoft's worker does.</summary>
    public static P.TaskFailureDetails Failure(Exception ex)
    {
        var details = new P.TaskFailureDetails { ErrorType = ex.GetType().FullName ?? ex.GetType().Name, ErrorMessage = ex.Message };
        if (ex.StackTrace is { } stack)
        {
            details.StackTrace = stack;
        }

        if (ex.InnerException is { } inner)
        {
            details.InnerFailure = Failure(inner);
        }

        return details;
    }
}
