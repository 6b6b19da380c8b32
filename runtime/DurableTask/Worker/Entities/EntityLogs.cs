using Microsoft.Extensions.Logging;

namespace Serverless.DurableTask.Worker.Entities;

/// <summary>The entity protocol's log events (ids 170-179). Never payloads: inputs and states may carry personal data.</summary>
internal static partial class EntityLogs
{
    [LoggerMessage(EventId = 170, Level = LogLevel.Warning, Message = "Entity {InstanceId}: message {MessageId} ('{EventName}') dropped: {Reason}")]
    public static partial void EntityMessageDropped(this ILogger logger, string instanceId, long messageId, string eventName, string reason);

    [LoggerMessage(EventId = 171, Level = LogLevel.Warning, Message = "Entity {InstanceId}: no entity named '{EntityName}' is registered; {Calls} calls answered with a failure, {Signals} signals dropped")]
    public static partial void EntityNotRegistered(this ILogger logger, string instanceId, string entityName, int calls, int signals);

    [LoggerMessage(EventId = 172, Level = LogLevel.Debug, Message = "Entity {InstanceId}: locked for {Owner} (lock request {RequestId}, position {Position} of {Count})")]
    public static partial void EntityLocked(this ILogger logger, string instanceId, string owner, Guid requestId, int position, int count);

    [LoggerMessage(EventId = 173, Level = LogLevel.Debug, Message = "Entity {InstanceId}: released by {Owner}")]
    public static partial void EntityReleased(this ILogger logger, string instanceId, string owner);

    [LoggerMessage(EventId = 174, Level = LogLevel.Debug, Message = "Entity {InstanceId}: release from {Sender} ignored (locked by {Owner})")]
    public static partial void EntityReleaseIgnored(this ILogger logger, string instanceId, string sender, string owner);

    [LoggerMessage(EventId = 175, Level = LogLevel.Error, Message = "Entity {InstanceId}: stored scheduler state unreadable ({Reason}); starting unlocked with nothing deferred")]
    public static partial void EntitySchedulerStateUnreadable(this ILogger logger, string instanceId, string reason);

    [LoggerMessage(EventId = 176, Level = LogLevel.Debug, Message = "Entity {InstanceId} step: {Messages} messages, {Operations} operations ({Failed} failed), {Replies} replies, {LocksGranted} locks granted, {Releases} releases, {Deferred} deferred, {Dropped} dropped")]
    public static partial void EntityStep(this ILogger logger, string instanceId, int messages, int operations, int failed, int replies, int locksGranted, int releases, int deferred, int dropped);

    [LoggerMessage(EventId = 177, Level = LogLevel.Debug, Message = "Entity {InstanceId}: {Remaining} requests left for the next step (at most {Max} operations a step)")]
    public static partial void EntityBacklogContinued(this ILogger logger, string instanceId, int remaining, int max);
}
