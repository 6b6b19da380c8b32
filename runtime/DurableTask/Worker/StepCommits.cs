using Microsoft.DurableTask.Client;
using Serverless.DurableTask.Engine;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Worker;

/// <summary>
/// Turns what an orchestration step produced into one store commit, as durabletask-go's backends do: the new events
/// and the actions' own events join the history, and each action becomes work — an activity row, a timer message due
/// later, an event or entity message for another instance, a sub-orchestration to create, or the completion.
/// </summary>
internal static class StepCommits
{
    /// <summary>Builds the commit of a step the runner answered.</summary>
    /// <remarks>With <c>replaceHistory</c>, <c>newEvents</c> is the whole history (the start of an instance that kept
    /// events before its scheduled start) and replaces what is stored. <c>instanceContext</c> is the instance's trace
    /// context (a new execution keeps it); <c>workContext</c>, the step's, goes with the activities and
    /// sub-orchestrations it schedules, as the SDK's <c>parentTraceContext</c>.</remarks>
    public static OrchestrationCommit FromResponse(InstanceRecord instance, IReadOnlyList<InstanceMessage> consumed, IReadOnlyList<P.HistoryEvent> newEvents, P.OrchestratorResponse response, OrchestrationRuntimeStatus status, DateTime now, string? parentExecutionId, bool replaceHistory = false, P.TraceContext? instanceContext = null, P.TraceContext? workContext = null)
    {
        var history = new List<P.HistoryEvent>(newEvents);
        var tasks = new List<ActivityTask>();
        var messages = new List<OutgoingMessage>();
        var instances = new List<NewInstance>();
        P.CompleteOrchestrationAction? completion = null;
        foreach (var action in response.Actions)
        {
            var id = action.Id;
            switch (action.OrchestratorActionTypeCase)
            {
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.ScheduleTask:
                    var task = action.ScheduleTask;
                    history.Add(new P.HistoryEvent { EventId = id, Timestamp = HistoryEvents.Time(now), TaskScheduled = new P.TaskScheduledEvent { Name = task.Name, Version = task.Version, Input = task.Input, ParentTraceContext = workContext } });
                    tasks.Add(new ActivityTask(0, instance.InstanceId, instance.ExecutionId, id, task.Name, task.Input, TraceParent: workContext?.TraceParent));
                    break;
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.CreateSubOrchestration:
                    var sub = action.CreateSubOrchestration;
                    history.Add(new P.HistoryEvent { EventId = id, Timestamp = HistoryEvents.Time(now), SubOrchestrationInstanceCreated = new P.SubOrchestrationInstanceCreatedEvent { InstanceId = sub.InstanceId, Name = sub.Name, Version = sub.Version, Input = sub.Input } });
                    var parent = new P.ParentInstanceInfo
                    {
                        TaskScheduledId = id,
                        Name = instance.Name,
                        OrchestrationInstance = new P.OrchestrationInstance { InstanceId = instance.InstanceId, ExecutionId = instance.ExecutionId },
                    };
                    var start = HistoryEvents.ExecutionStarted(sub.Name, sub.InstanceId, Guid.NewGuid().ToString("N"), sub.Input, now, parent: parent);
                    start.ExecutionStarted.ParentTraceContext = workContext;
                    instances.Add(new NewInstance(sub.InstanceId, sub.Name, sub.Input, instance.InstanceId, start, now, id));
                    break;
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.CreateTimer:
                    var fireAt = action.CreateTimer.FireAt.ToDateTime();
                    history.Add(new P.HistoryEvent { EventId = id, Timestamp = HistoryEvents.Time(now), TimerCreated = new P.TimerCreatedEvent { FireAt = action.CreateTimer.FireAt } });
                    messages.Add(new OutgoingMessage(instance.InstanceId, HistoryEvents.TimerFired(id, fireAt), fireAt, instance.ExecutionId));
                    break;
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.SendEvent:
                    var send = action.SendEvent;
                    var target = send.Instance.InstanceId;
                    history.Add(new P.HistoryEvent { EventId = id, Timestamp = HistoryEvents.Time(now), EventSent = new P.EventSentEvent { InstanceId = target, Name = send.Name, Input = send.Data } });
                    var visibleAt = OrchestrationStepRunner.SignalDueTime(send.Name) is { } due && target.StartsWith('@') && due > now ? due : now;
                    messages.Add(new OutgoingMessage(target, HistoryEvents.EventRaised(send.Name, send.Data, now), visibleAt));
                    break;
                case P.OrchestratorAction.OrchestratorActionTypeOneofCase.CompleteOrchestration:
                    completion = action.CompleteOrchestration;
                    history.Add(HistoryEvents.ExecutionCompleted(completion.OrchestrationStatus, completion.Result, completion.FailureDetails, now));
                    history[^1].EventId = id;
                    break;
                default:
                    throw new NotSupportedException($"The replay engine returned an action this store does not handle: {action.OrchestratorActionTypeCase}.");
            }
        }

        var record = instance with
        {
            Status = status,
            CustomStatus = response.CustomStatus,
            LastUpdatedAt = now,
            HistoryCount = instance.HistoryCount + history.Count,
        };
        var replace = replaceHistory;
        if (completion is not null)
        {
            if (completion.OrchestrationStatus == P.OrchestrationStatus.ContinuedAsNew)
            {
                // The next execution starts from the messages below; its history begins empty.
                var executionId = Guid.NewGuid().ToString("N");
                P.ParentInstanceInfo? parent = instance.ParentInstanceId is { } parentId
                    ? new P.ParentInstanceInfo { TaskScheduledId = instance.ParentTaskId, OrchestrationInstance = new P.OrchestrationInstance { InstanceId = parentId, ExecutionId = parentExecutionId ?? string.Empty } }
                    : null;
                // First, so the next execution starts before the events it carries over (sent to itself just before).
                var next = HistoryEvents.ExecutionStarted(instance.Name, instance.InstanceId, executionId, completion.Result, now, parent: parent);
                next.ExecutionStarted.ParentTraceContext = instanceContext;
                messages.Insert(0, new OutgoingMessage(instance.InstanceId, next, now));
                messages.AddRange(completion.CarryoverEvents.Select(e => new OutgoingMessage(instance.InstanceId, e, now)));
                history.Clear();
                replace = true;
                record = record with { Status = OrchestrationRuntimeStatus.Running, ExecutionId = executionId, Input = completion.Result, HistoryCount = 0 };
            }
            else
            {
                var finalStatus = (OrchestrationRuntimeStatus)(int)completion.OrchestrationStatus;
                var failure = completion.FailureDetails is { } f ? HistoryEvents.FromProto(f) : null;
                record = record with { Status = finalStatus, Output = completion.Result, Failure = failure, CompletedAt = now };
                if (ParentNotification(instance, finalStatus, completion.Result, completion.FailureDetails, now, parentExecutionId) is { } notify)
                {
                    messages.Add(notify);
                }
            }
        }

        return new OrchestrationCommit
        {
            Instance = record,
            NewHistory = history,
            ReplaceHistory = replace,
            NewTasks = tasks,
            Messages = messages,
            NewInstances = instances,
            ConsumedMessageIds = consumed.Select(m => m.Id).ToList(),
        };
    }

    /// <summary>Builds the commit of a step that ends the instance without running it (terminated, or no such orchestrator).</summary>
    public static OrchestrationCommit Ended(InstanceRecord instance, IReadOnlyList<InstanceMessage> consumed, IReadOnlyList<P.HistoryEvent> newEvents, OrchestrationRuntimeStatus status, string? output, P.TaskFailureDetails? failure, DateTime now, string? parentExecutionId)
    {
        var history = new List<P.HistoryEvent>(newEvents) { HistoryEvents.ExecutionCompleted((P.OrchestrationStatus)(int)status, output, failure, now) };
        var messages = new List<OutgoingMessage>();
        if (ParentNotification(instance, status, output, failure, now, parentExecutionId) is { } notify)
        {
            messages.Add(notify);
        }

        return new OrchestrationCommit
        {
            Instance = instance with
            {
                Status = status,
                Output = output,
                Failure = failure is null ? null : HistoryEvents.FromProto(failure),
                LastUpdatedAt = now,
                CompletedAt = now,
                HistoryCount = instance.HistoryCount + history.Count,
            },
            NewHistory = history,
            Messages = messages,
            ConsumedMessageIds = consumed.Select(m => m.Id).ToList(),
        };
    }

    private static OutgoingMessage? ParentNotification(InstanceRecord instance, OrchestrationRuntimeStatus status, string? output, P.TaskFailureDetails? failure, DateTime now, string? parentExecutionId)
    {
        if (instance.ParentInstanceId is not { } parent)
        {
            return null;
        }

        var e = status == OrchestrationRuntimeStatus.Completed
            ? HistoryEvents.SubOrchestrationCompleted(instance.ParentTaskId, output, now)
            : HistoryEvents.SubOrchestrationFailed(instance.ParentTaskId, failure ?? HistoryEvents.Failure(
                "Serverless.DurableTask.SubOrchestrationEnded", $"Sub-orchestration '{instance.InstanceId}' ended as {status}: {output}"), now);
        return new OutgoingMessage(parent, e, now, parentExecutionId);
    }
}
