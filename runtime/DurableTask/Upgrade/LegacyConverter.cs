using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Upgrade;

/// <summary>One stored message of the old format: its row id, when it becomes visible, and its JSON.</summary>
internal sealed record LegacyMessageRow(long Id, DateTime VisibleAt, string Json);

/// <summary>What the upgrade knows of one instance: its id, current execution, and its stored rows in order.</summary>
internal sealed record LegacyInstance(string InstanceId, string? ExecutionId, IReadOnlyList<string> History, IReadOnlyList<LegacyMessageRow> Messages);

/// <summary>
/// A converted message. <see cref="KeepId"/> is the row id to keep (null: a new row, appended after every existing one in
/// the given order).
/// </summary>
internal sealed record ConvertedMessage(long? KeepId, DateTime VisibleAt, P.HistoryEvent Event, string? TargetExecution);

/// <summary>The instance's rows in the new format. When <see cref="Requeued"/> is set, every message of the instance is rewritten in the given order.</summary>
internal sealed record ConvertedInstance(IReadOnlyList<P.HistoryEvent> History, IReadOnlyList<ConvertedMessage> Messages, bool Requeued);

/// <summary>
/// Converts the old engine's JSON events to <c>Microsoft.DurableTask.Protobuf.HistoryEvent</c>s, in the shapes
/// <c>GrpcOrchestrationRunner</c> (1.28) replays: entity calls become the DTFx messages (<c>EventSent</c> <c>op</c> with
/// a <c>RequestMessage</c>, <c>EventRaised</c> named by the request id with a <c>ResponseMessage</c>), a pending
/// ContinueAsNew (the old wake marker) and a history recorded before its scheduled start become messages.
/// </summary>
internal static class LegacyConverter
{
    /// <summary>What to tell the operator when an instance cannot be taken over.</summary>
    public const string Advice =
        "Start the previous release on this data, let these instances finish or terminate them (DELETE or POST " +
        "/runtime/webhooks/durabletask/instances/{id}/terminate), then start this release again.";

    /// <summary>How many NewGuid calls of orchestrator code between two entity requests the request-id check accepts.</summary>
    private const int GuidSearchWindow = 4096;

    /// <summary>The SDK caps a scheduled signal's time to this far after the orchestration's current time (DurableTaskWorkerOptions.MaximumTimerInterval's default).</summary>
    private static readonly TimeSpan MaximumTimerInterval = TimeSpan.FromDays(3);

    public static ConvertedInstance ConvertInstance(LegacyInstance instance)
    {
        try
        {
            return Convert(instance);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            throw new StoreUpgradeException(
                $"Instance '{instance.InstanceId}' cannot be converted to the new history format: {ex.Message}. {Advice}", ex)
            {
                InstanceIds = [instance.InstanceId],
            };
        }
    }

    /// <summary>The SDK's (and the old engine's) deterministic NewGuid: RFC 4122 version 5 over "{instance}_{now:o}_{counter}".</summary>
    public static Guid DeterministicGuid(string instanceId, DateTime currentUtc, int counter)
    {
        var name = string.Concat(instanceId, "_", currentUtc.ToString("o", CultureInfo.InvariantCulture), "_", counter.ToString(CultureInfo.InvariantCulture));
        var namespaceBytes = new Guid("9e952958-5e33-4daf-827f-2fa12937b875").ToByteArray();
        Swap(namespaceBytes);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var data = new byte[namespaceBytes.Length + nameBytes.Length];
        namespaceBytes.CopyTo(data, 0);
        nameBytes.CopyTo(data, namespaceBytes.Length);
#pragma warning disable CA5350 // RFC 4122 version 5 is SHA-1; not a security use.
        var hash = SHA1.HashData(data);
#pragma warning restore CA5350
        var bytes = new byte[16];
        Array.Copy(hash, bytes, 16);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        Swap(bytes);
        return new Guid(bytes);
    }

    private static ConvertedInstance Convert(LegacyInstance instance)
    {
        var history = instance.History.Select(LegacyEvent.Parse).ToList();
        var messages = instance.Messages.Select(m => (Row: m, Event: LegacyEvent.Parse(m.Json))).ToList();
        if (history.FirstOrDefault(e => e.Kind is "ContinueAsNewStarted" or "EntityRequest") is { } misplaced)
        {
            throw new FormatException($"its history holds a {misplaced.Kind}, which only ever was a message");
        }

        var started = history.FirstOrDefault(e => e.Kind == "ExecutionStarted");
        var executionId = started?.ExecutionId ?? instance.ExecutionId ?? "";
        var wake = messages.Where(m => m.Event.Kind == "ContinueAsNewStarted").ToList();

        // A ContinueAsNew waiting for its wake message: the old history is [OrchestratorStarted, ExecutionStarted, carried
        // events], not yet run. In the new model that is an empty history and those events as messages, first in line.
        // A history recorded before a scheduled start (no ExecutionStarted yet) likewise becomes messages, after the start.
        if (wake.Count > 0 || (started is null && history.Count > 0))
        {
            if (wake.Count > 0 && (started is null || history.Any(e => e.Kind is not ("OrchestratorStarted" or "ExecutionStarted" or "EventRaised"))))
            {
                throw new FormatException("it has a ContinueAsNew wake message but its history is not a fresh ContinueAsNew start");
            }

            var startMessage = messages.FirstOrDefault(m => m.Event.Kind == "ExecutionStarted");
            if (wake.Count == 0 && startMessage.Event is null)
            {
                throw new FormatException("its history has no ExecutionStarted and none is waiting as a message");
            }

            var visibleAt = wake.Count > 0 ? wake[0].Row.VisibleAt : startMessage.Row.VisibleAt;
            var requeued = history.Where(e => e.Kind != "OrchestratorStarted").Select(e => new ConvertedMessage(null, visibleAt, ConvertEvent(e, instance.InstanceId, executionId), null)).ToList();
            var rest = messages.Where(m => m.Event.Kind != "ContinueAsNewStarted").ToList();
            var others = rest.Select(m => new ConvertedMessage(null, m.Row.VisibleAt, ConvertMessage(m.Event, instance.InstanceId), m.Event.TargetExecutionId)).ToList();
            List<ConvertedMessage> ordered;
            if (wake.Count > 0)
            {
                ordered = [.. requeued, .. others];
            }
            else
            {
                var start = rest.IndexOf(startMessage);
                ordered = [others[start], .. requeued, .. others.Where((_, i) => i != start)];
            }

            return new ConvertedInstance([], ordered, Requeued: true);
        }

        CheckEntityRequestIds(instance.InstanceId, history);
        var convertedHistory = history.Select(e => ConvertEvent(e, instance.InstanceId, executionId)).ToList();
        var convertedMessages = messages.Select(m => new ConvertedMessage(m.Row.Id, m.Row.VisibleAt, ConvertMessage(m.Event, instance.InstanceId), m.Event.TargetExecutionId)).ToList();
        return new ConvertedInstance(convertedHistory, convertedMessages, Requeued: false);
    }

    /// <summary>
    /// The SDK does not read request ids from history: on replay it makes them again with NewGuid and waits for the
    /// reply named by the new id. So every recorded id must be the one the SDK will make, or the call would wait forever.
    /// </summary>
    private static void CheckEntityRequestIds(string instanceId, List<LegacyEvent> history)
    {
        var now = DateTime.MinValue;
        var counter = 0;
        foreach (var e in history)
        {
            switch (e.Kind)
            {
                case "OrchestratorStarted":
                    now = e.Timestamp;
                    break;
                case "EntityOperationCalled" or "EntityOperationSignaled":
                    if (!Guid.TryParseExact(e.RequestId, "N", out var id))
                    {
                        throw new FormatException($"the entity request id '{e.RequestId}' of task #{e.EventId} is not a Guid");
                    }

                    counter = FindCounter(instanceId, now, counter, id)
                        ?? throw new FormatException($"the entity request id {id} of task #{e.EventId} ({e.Operation} on {e.TargetInstanceId}) is not one the SDK's NewGuid makes again on replay, so its reply would never be matched");
                    if (e.ScheduledTime is { } due && due > now + MaximumTimerInterval)
                    {
                        throw new FormatException($"task #{e.EventId} signals {e.TargetInstanceId} for {due:o}, more than {MaximumTimerInterval.TotalDays} days after it was sent; the SDK caps that time and would not recognize the recorded signal");
                    }

                    break;
                case "SubOrchestrationInstanceCreated":
                    // An id the old engine made with NewGuid ("N") uses up a counter value, as it does in the SDK.
                    if (Guid.TryParseExact(e.InstanceId, "N", out var sub) && FindCounter(instanceId, now, counter, sub) is { } next)
                    {
                        counter = next;
                    }

                    break;
                default:
                    break;
            }
        }
    }

    private static int? FindCounter(string instanceId, DateTime now, int from, Guid id)
    {
        for (var k = from; k < from + GuidSearchWindow; k++)
        {
            if (DeterministicGuid(instanceId, now, k) == id)
            {
                return k + 1;
            }
        }

        return null;
    }

    /// <summary>Converts a history event of an orchestration.</summary>
    internal static P.HistoryEvent ConvertEvent(LegacyEvent e, string instanceId, string executionId)
    {
        var p = new P.HistoryEvent { EventId = e.EventId, Timestamp = Timestamp.FromDateTime(e.Timestamp) };
        switch (e.Kind)
        {
            case "OrchestratorStarted":
                p.OrchestratorStarted = new P.OrchestratorStartedEvent();
                break;
            case "ExecutionStarted":
                p.ExecutionStarted = new P.ExecutionStartedEvent
                {
                    Name = e.Name ?? throw new FormatException("ExecutionStarted has no name"),
                    Input = e.Input,
                    OrchestrationInstance = new P.OrchestrationInstance { InstanceId = instanceId, ExecutionId = e.ExecutionId ?? throw new FormatException("ExecutionStarted has no execution id") },
                };
                if (e.ParentInstanceId is not null)
                {
                    p.ExecutionStarted.ParentInstance = new P.ParentInstanceInfo
                    {
                        // A sub-orchestration that continued as new lost its parent's name in the old engine; the parent is addressed by id.
                        Name = e.ParentName ?? "",
                        OrchestrationInstance = new P.OrchestrationInstance { InstanceId = e.ParentInstanceId, ExecutionId = e.ParentExecutionId },
                        TaskScheduledId = e.ParentTaskId,
                    };
                }

                break;
            case "ExecutionCompleted":
                p.ExecutionCompleted = new P.ExecutionCompletedEvent
                {
                    OrchestrationStatus = Status(e.Status),
                    Result = e.Result,
                    FailureDetails = Failure(e.Failure),
                };
                break;
            case "ExecutionTerminated":
                p.ExecutionTerminated = new P.ExecutionTerminatedEvent { Input = e.Reason };
                break;
            case "ExecutionSuspended":
                p.ExecutionSuspended = new P.ExecutionSuspendedEvent { Input = e.Reason };
                break;
            case "ExecutionResumed":
                p.ExecutionResumed = new P.ExecutionResumedEvent { Input = e.Reason };
                break;
            case "TaskScheduled":
                p.TaskScheduled = new P.TaskScheduledEvent { Name = e.Name ?? throw new FormatException("TaskScheduled has no name"), Input = e.Input is null ? null : $"[{e.Input}]" };
                break;
            case "TaskCompleted":
                p.TaskCompleted = new P.TaskCompletedEvent { TaskScheduledId = e.TaskScheduledId, Result = e.Result };
                break;
            case "TaskFailed":
                p.TaskFailed = new P.TaskFailedEvent { TaskScheduledId = e.TaskScheduledId, FailureDetails = Failure(e.Failure) ?? throw new FormatException("TaskFailed has no failure") };
                break;
            case "SubOrchestrationInstanceCreated":
                p.SubOrchestrationInstanceCreated = new P.SubOrchestrationInstanceCreatedEvent
                {
                    Name = e.Name ?? throw new FormatException("SubOrchestrationInstanceCreated has no name"),
                    InstanceId = e.InstanceId ?? throw new FormatException("SubOrchestrationInstanceCreated has no instance id"),
                    Input = e.Input,
                };
                break;
            case "SubOrchestrationInstanceCompleted":
                p.SubOrchestrationInstanceCompleted = new P.SubOrchestrationInstanceCompletedEvent { TaskScheduledId = e.TaskScheduledId, Result = e.Result };
                break;
            case "SubOrchestrationInstanceFailed":
                p.SubOrchestrationInstanceFailed = new P.SubOrchestrationInstanceFailedEvent { TaskScheduledId = e.TaskScheduledId, FailureDetails = Failure(e.Failure) ?? throw new FormatException("SubOrchestrationInstanceFailed has no failure") };
                break;
            case "TimerCreated":
                p.TimerCreated = new P.TimerCreatedEvent { FireAt = Timestamp.FromDateTime(e.FireAt) };
                break;
            case "TimerFired":
                p.TimerFired = new P.TimerFiredEvent { TimerId = e.TimerId, FireAt = Timestamp.FromDateTime(e.FireAt) };
                break;
            case "EventRaised":
                p.EventRaised = new P.EventRaisedEvent { Name = e.Name ?? throw new FormatException("EventRaised has no name"), Input = e.Input };
                break;
            case "EventSent":
                p.EventSent = new P.EventSentEvent { InstanceId = e.InstanceId ?? throw new FormatException("EventSent has no target"), Name = e.Name ?? throw new FormatException("EventSent has no name"), Input = e.Input };
                break;
            case "EntityOperationCalled" or "EntityOperationSignaled":
                var signal = e.Kind == "EntityOperationSignaled";
                p.EventSent = new P.EventSentEvent
                {
                    InstanceId = e.TargetInstanceId ?? throw new FormatException($"{e.Kind} has no target"),
                    Name = signal && e.ScheduledTime is { } due ? $"op@{due.ToString("o", CultureInfo.InvariantCulture)}" : "op",
                    Input = RequestMessage(e, signal, signal ? null : instanceId, signal ? null : executionId),
                };
                break;
            case "EntityOperationCompleted":
                p.EventId = -1;
                p.EventRaised = new P.EventRaisedEvent { Name = RequestId(e.RequestId), Input = ResponseMessage(e.Result, null) };
                break;
            case "EntityOperationFailed":
                p.EventId = -1;
                p.EventRaised = new P.EventRaisedEvent { Name = RequestId(e.RequestId), Input = ResponseMessage(null, e.Failure ?? throw new FormatException("EntityOperationFailed has no failure")) };
                break;
            default:
                throw new FormatException($"a {e.Kind} cannot be part of a history");
        }

        return p;
    }

    /// <summary>Converts a message on its way to <paramref name="instanceId"/> (its target execution goes to its own column).</summary>
    internal static P.HistoryEvent ConvertMessage(LegacyEvent e, string instanceId)
    {
        if (e.Kind == "EntityRequest")
        {
            // A signal (no reply address) or a call from an orchestration, delivered to the entity as DTFx's "op" event.
            var call = e.ReplyToInstanceId is not null;
            return new P.HistoryEvent
            {
                EventId = -1,
                Timestamp = Timestamp.FromDateTime(e.Timestamp),
                EventRaised = new P.EventRaisedEvent
                {
                    Name = "op",
                    Input = RequestMessage(e, signal: !call, parent: e.ReplyToInstanceId, parentExecution: null),
                },
            };
        }

        if (e.Kind is "OrchestratorStarted" or "ContinueAsNewStarted" or "TaskScheduled" or "SubOrchestrationInstanceCreated" or "TimerCreated" or "EventSent"
            or "EntityOperationCalled" or "EntityOperationSignaled" or "ExecutionCompleted")
        {
            throw new FormatException($"a {e.Kind} cannot be a message");
        }

        return ConvertEvent(e, instanceId, "");
    }

    private static string RequestId(string? id) =>
        Guid.TryParseExact(id, "N", out var guid) ? guid.ToString("D") : Guid.TryParse(id, out guid) ? guid.ToString("D")
        : throw new FormatException($"the entity request id '{id}' is not a Guid");

    /// <summary>DTFx <c>EventFormat.RequestMessage</c> (DataContract names).</summary>
    private static string RequestMessage(LegacyEvent e, bool signal, string? parent, string? parentExecution)
    {
        var message = new JsonObject { ["op"] = e.Operation ?? throw new FormatException($"{e.Kind} has no operation") };
        if (signal)
        {
            message["signal"] = true;
        }

        if (e.Input is not null)
        {
            message["input"] = e.Input;
        }

        message["id"] = RequestId(e.RequestId);
        if (parent is not null)
        {
            message["parent"] = parent;
        }

        if (parentExecution is not null)
        {
            message["parentExecution"] = parentExecution;
        }

        if (e.ScheduledTime is { } due)
        {
            message["due"] = due.ToString("o", CultureInfo.InvariantCulture);
        }

        message["Timestamp"] = e.Timestamp.ToString("o", CultureInfo.InvariantCulture);
        return message.ToJsonString();
    }

    /// <summary>DTFx <c>EventFormat.ResponseMessage</c>: <c>result</c>, <c>exceptionType</c>, <c>failureDetails</c> (DTFx FailureDetails, Newtonsoft names).</summary>
    private static string ResponseMessage(string? result, LegacyFailure? failure)
    {
        if (failure is null)
        {
            return new JsonObject { ["result"] = result }.ToJsonString();
        }

        return new JsonObject
        {
            ["result"] = failure.ErrorMessage,
            ["exceptionType"] = failure.ErrorType,
            ["failureDetails"] = CoreFailure(failure),
        }.ToJsonString();
    }

    private static JsonObject CoreFailure(LegacyFailure f) => new()
    {
        ["ErrorType"] = f.ErrorType,
        ["ErrorMessage"] = f.ErrorMessage,
        ["StackTrace"] = f.StackTrace,
        ["InnerFailure"] = f.InnerFailure is null ? null : CoreFailure(f.InnerFailure),
        ["IsNonRetriable"] = false,
    };

    private static P.TaskFailureDetails? Failure(LegacyFailure? f) => f is null ? null : new P.TaskFailureDetails
    {
        ErrorType = f.ErrorType,
        ErrorMessage = f.ErrorMessage,
        StackTrace = f.StackTrace,
        InnerFailure = Failure(f.InnerFailure),
    };

    /// <summary>The old OrchestrationRuntimeStatus numbers are the protobuf OrchestrationStatus numbers (Running 0 … Suspended 7).</summary>
    private static P.OrchestrationStatus Status(int status) => status is >= 0 and <= 7
        ? (P.OrchestrationStatus)status
        : throw new FormatException($"unknown runtime status {status}");

    private static void Swap(byte[] guid)
    {
        (guid[0], guid[3]) = (guid[3], guid[0]);
        (guid[1], guid[2]) = (guid[2], guid[1]);
        (guid[4], guid[5]) = (guid[5], guid[4]);
        (guid[6], guid[7]) = (guid[7], guid[6]);
    }
}
