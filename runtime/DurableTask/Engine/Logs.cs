using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Serverless.DurableTask.Engine;

/// <summary>The runtime's log events, with stable event ids. No payloads are logged: inputs may carry personal data.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Durable task worker started for hub {HubName}: {OrchestrationSlots} orchestration slots, {ActivitySlots} activity slots")]
    public static partial void WorkerStarted(this ILogger logger, string hubName, int orchestrationSlots, int activitySlots);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Durable task worker stopping; waiting up to {GracePeriod} for running activities")]
    public static partial void WorkerStopping(this ILogger logger, TimeSpan gracePeriod);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Durable task worker stopped; {Abandoned} activities released for a later run")]
    public static partial void WorkerStopped(this ILogger logger, int abandoned);

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Orchestration {InstanceId} ({Name}) step: {EventCount} new events, {ActionCount} actions, status {Status}")]
    public static partial void OrchestrationStep(this ILogger logger, string instanceId, string name, int eventCount, int actionCount, OrchestrationRuntimeStatus status);

    [LoggerMessage(EventId = 111, Level = LogLevel.Information, Message = "Orchestration {InstanceId} ({Name}) finished: {Status}")]
    public static partial void OrchestrationFinished(this ILogger logger, string instanceId, string name, OrchestrationRuntimeStatus status);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Orchestration {InstanceId} ({Name}) failed: {ErrorType}: {ErrorMessage}")]
    public static partial void OrchestrationFailed(this ILogger logger, string instanceId, string name, string errorType, string errorMessage);

    [LoggerMessage(EventId = 113, Level = LogLevel.Warning, Message = "Step of {InstanceId} was abandoned and will be retried")]
    public static partial void StepAbandoned(this ILogger logger, string instanceId, Exception exception);

    [LoggerMessage(EventId = 114, Level = LogLevel.Error, Message = "Work for {InstanceId} was delivered {DequeueCount} times without success and was moved to the dead-letter table: {Reason}")]
    public static partial void DeadLettered(this ILogger logger, string instanceId, int dequeueCount, string reason);

    [LoggerMessage(EventId = 115, Level = LogLevel.Warning, Message = "The lease on {InstanceId} was lost before its step committed; another delivery will redo the step")]
    public static partial void LeaseLost(this ILogger logger, string instanceId);

    [LoggerMessage(EventId = 162, Level = LogLevel.Warning, Message = "The lease on activity {ActivityKey} was lost before its result committed (the host was too slow to renew it); another host runs it again")]
    public static partial void ActivityLeaseLost(this ILogger logger, string activityKey);

    [LoggerMessage(EventId = 164, Level = LogLevel.Warning, Message = "Left orchestration {InstanceId} for a build that can run it ({Reason}); offered again in {Delay}")]
    public static partial void StepDeferred(this ILogger logger, string instanceId, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 163, Level = LogLevel.Warning, Message = "Orchestration {InstanceId} failed: {Reason}")]
    public static partial void PayloadTooLarge(this ILogger logger, string instanceId, string reason);

    [LoggerMessage(EventId = 120, Level = LogLevel.Debug, Message = "Activity {Name} #{TaskId} of {InstanceId} finished: {Outcome}")]
    public static partial void ActivityFinished(this ILogger logger, string name, int taskId, string instanceId, string outcome);

    [LoggerMessage(EventId = 121, Level = LogLevel.Warning, Message = "Activity {Name} #{TaskId} of {InstanceId} failed: {ErrorType}: {ErrorMessage}")]
    public static partial void ActivityFailed(this ILogger logger, string name, int taskId, string instanceId, string errorType, string errorMessage);

    [LoggerMessage(EventId = 130, Level = LogLevel.Debug, Message = "Entity {InstanceId} ran {OperationCount} operations")]
    public static partial void EntityBatch(this ILogger logger, string instanceId, int operationCount);

    [LoggerMessage(EventId = 140, Level = LogLevel.Information, Message = "Retention purged {Count} finished instances completed before {Cutoff:o}")]
    public static partial void RetentionPurged(this ILogger logger, int count, DateTime cutoff);

    [LoggerMessage(EventId = 141, Level = LogLevel.Error, Message = "Retention run failed")]
    public static partial void RetentionFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 160, Level = LogLevel.Error, Message = "{Reason} Work waits and is retried; nothing is lost")]
    public static partial void StoreUnavailable(this ILogger logger, string reason);

    [LoggerMessage(EventId = 161, Level = LogLevel.Information, Message = "The store accepts writes again; waiting work resumes")]
    public static partial void StoreAvailable(this ILogger logger);

    [LoggerMessage(EventId = 150, Level = LogLevel.Error, Message = "Dispatcher loop error; continuing")]
    public static partial void DispatcherError(this ILogger logger, Exception exception);
}
