using DurableTask.Core;
using DurableTask.Core.History;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Client;

/// <summary>
/// Turns the protobuf <see cref="P.HistoryEvent"/>s the stores keep into the DTFx <see cref="HistoryEvent"/>s that
/// <see cref="Microsoft.DurableTask.Client.DurableTaskClient.GetOrchestrationHistoryAsync"/> answers. The SDK has the
/// same mapping (<c>ProtoUtils.ConvertHistoryEvent</c>), but it is internal to each of its assemblies; this follows it
/// field by field. Entity events of the protobuf schema (which the 1.28.0 runner does not emit: its entity work
/// travels as <c>EventSent</c>/<c>EventRaised</c>) and other kinds without a DTFx twin come back as a
/// <see cref="GenericEvent"/> carrying the event as protobuf JSON, so a history page never fails on them.
/// </summary>
internal static class HistoryEventConverter
{
    public static HistoryEvent Convert(P.HistoryEvent proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        HistoryEvent e = proto.EventTypeCase switch
        {
            P.HistoryEvent.EventTypeOneofCase.ExecutionStarted => ExecutionStarted(proto),
            P.HistoryEvent.EventTypeOneofCase.ExecutionCompleted => new ExecutionCompletedEvent(
                proto.EventId,
                proto.ExecutionCompleted.Result,
                (OrchestrationStatus)proto.ExecutionCompleted.OrchestrationStatus,
                Failure(proto.ExecutionCompleted.FailureDetails)),
            P.HistoryEvent.EventTypeOneofCase.ExecutionTerminated => new ExecutionTerminatedEvent(proto.EventId, proto.ExecutionTerminated.Input),
            P.HistoryEvent.EventTypeOneofCase.ExecutionSuspended => new ExecutionSuspendedEvent(proto.EventId, proto.ExecutionSuspended.Input),
            P.HistoryEvent.EventTypeOneofCase.ExecutionResumed => new ExecutionResumedEvent(proto.EventId, proto.ExecutionResumed.Input),
            P.HistoryEvent.EventTypeOneofCase.ContinueAsNew => new ContinueAsNewEvent(proto.EventId, proto.ContinueAsNew.Input),
            P.HistoryEvent.EventTypeOneofCase.TaskScheduled => new TaskScheduledEvent(proto.EventId, proto.TaskScheduled.Name, proto.TaskScheduled.Version, proto.TaskScheduled.Input)
            {
                Tags = Tags(proto.TaskScheduled.Tags),
            },
            P.HistoryEvent.EventTypeOneofCase.TaskCompleted => new TaskCompletedEvent(proto.EventId, proto.TaskCompleted.TaskScheduledId, proto.TaskCompleted.Result),
            P.HistoryEvent.EventTypeOneofCase.TaskFailed => new TaskFailedEvent(proto.EventId, proto.TaskFailed.TaskScheduledId, reason: null, details: null, Failure(proto.TaskFailed.FailureDetails)),
            P.HistoryEvent.EventTypeOneofCase.SubOrchestrationInstanceCreated => new SubOrchestrationInstanceCreatedEvent(proto.EventId)
            {
                Input = proto.SubOrchestrationInstanceCreated.Input,
                InstanceId = proto.SubOrchestrationInstanceCreated.InstanceId,
                Name = proto.SubOrchestrationInstanceCreated.Name,
                Version = proto.SubOrchestrationInstanceCreated.Version,
                Tags = Tags(proto.SubOrchestrationInstanceCreated.Tags),
            },
            P.HistoryEvent.EventTypeOneofCase.SubOrchestrationInstanceCompleted => new SubOrchestrationInstanceCompletedEvent(
                proto.EventId, proto.SubOrchestrationInstanceCompleted.TaskScheduledId, proto.SubOrchestrationInstanceCompleted.Result),
            P.HistoryEvent.EventTypeOneofCase.SubOrchestrationInstanceFailed => new SubOrchestrationInstanceFailedEvent(
                proto.EventId, proto.SubOrchestrationInstanceFailed.TaskScheduledId, reason: null, details: null, Failure(proto.SubOrchestrationInstanceFailed.FailureDetails)),
            P.HistoryEvent.EventTypeOneofCase.TimerCreated => new TimerCreatedEvent(proto.EventId, Time(proto.TimerCreated.FireAt)),

            // As the SDK: a fired timer's own event id is -1; the timer it fires is TimerId.
            P.HistoryEvent.EventTypeOneofCase.TimerFired => new TimerFiredEvent(-1, Time(proto.TimerFired.FireAt)) { TimerId = proto.TimerFired.TimerId },
            P.HistoryEvent.EventTypeOneofCase.OrchestratorStarted => new OrchestratorStartedEvent(proto.EventId),
            P.HistoryEvent.EventTypeOneofCase.OrchestratorCompleted => new OrchestratorCompletedEvent(proto.EventId),
            P.HistoryEvent.EventTypeOneofCase.EventSent => new EventSentEvent(proto.EventId)
            {
                InstanceId = proto.EventSent.InstanceId,
                Name = proto.EventSent.Name,
                Input = proto.EventSent.Input,
            },
            P.HistoryEvent.EventTypeOneofCase.EventRaised => new EventRaisedEvent(proto.EventId, proto.EventRaised.Input) { Name = proto.EventRaised.Name },
            P.HistoryEvent.EventTypeOneofCase.GenericEvent => new GenericEvent(proto.EventId, proto.GenericEvent.Data),
            P.HistoryEvent.EventTypeOneofCase.ExecutionRewound => new ExecutionRewoundEvent(proto.EventId),
            _ => new GenericEvent(proto.EventId, JsonFormatter.Default.Format(proto)),
        };

        e.Timestamp = proto.Timestamp is null ? default : Time(proto.Timestamp);
        return e;
    }

    private static ExecutionStartedEvent ExecutionStarted(P.HistoryEvent proto)
    {
        var started = proto.ExecutionStarted;
        return new ExecutionStartedEvent(proto.EventId, started.Input)
        {
            Name = started.Name,
            Version = started.Version,
            OrchestrationInstance = Instance(started.OrchestrationInstance),
            Tags = Tags(started.Tags),
            ParentInstance = started.ParentInstance is not { } parent ? null : new ParentInstance
            {
                Name = parent.Name,
                Version = parent.Version,
                OrchestrationInstance = Instance(parent.OrchestrationInstance),
                TaskScheduleId = parent.TaskScheduledId,
            },
            ScheduledStartTime = started.ScheduledStartTimestamp is { } at ? Time(at) : null,
            ParentTraceContext = started.ParentTraceContext is { TraceParent: { Length: > 0 } traceParent } trace
                ? new global::DurableTask.Core.Tracing.DistributedTraceContext(traceParent, trace.TraceState)
                : null,
        };
    }

    private static OrchestrationInstance? Instance(P.OrchestrationInstance? proto) =>
        proto is null ? null : new OrchestrationInstance { InstanceId = proto.InstanceId, ExecutionId = proto.ExecutionId };

    private static Dictionary<string, string> Tags(IDictionary<string, string> tags) => new(tags, StringComparer.Ordinal);

    private static DateTime Time(Timestamp? timestamp) => timestamp?.ToDateTime() ?? default;

    /// <summary>Converts failure details, inner failures and properties included (as the SDK's <c>ToCore</c>).</summary>
    internal static FailureDetails? Failure(P.TaskFailureDetails? proto) =>
        proto is null
            ? null
            : new FailureDetails(
                proto.ErrorType,
                proto.ErrorMessage,
                proto.StackTrace,
                Failure(proto.InnerFailure),
                proto.IsNonRetriable,
                proto.Properties.Count == 0 ? null : proto.Properties.ToDictionary(p => p.Key, p => ToObject(p.Value), StringComparer.Ordinal));

    private static object? ToObject(Value value) => value.KindCase switch
    {
        Value.KindOneofCase.NullValue or Value.KindOneofCase.None => null,
        Value.KindOneofCase.NumberValue => value.NumberValue,
        Value.KindOneofCase.StringValue => value.StringValue,
        Value.KindOneofCase.BoolValue => value.BoolValue,
        Value.KindOneofCase.StructValue => value.StructValue.Fields.ToDictionary(f => f.Key, f => ToObject(f.Value), StringComparer.Ordinal),
        Value.KindOneofCase.ListValue => value.ListValue.Values.Select(ToObject).ToList(),
        _ => value.ToString(),
    };
}
