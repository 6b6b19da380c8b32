using Google.Protobuf.WellKnownTypes;
using Serverless.DurableTask.Engine;
using Serverless.DurableTask.Worker.Entities;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Worker;

/// <summary>
/// The failure answers to the callers of entity messages that are dead-lettered instead of processed: without them an
/// orchestration that called the entity (<c>CallEntityAsync</c>) would wait forever. Signals have nobody waiting; a
/// lock request's holder is not answered (its critical section fails only when it times out or is terminated).
/// </summary>
internal static class EntityDeadLetters
{
    /// <summary>The error type the caller's <c>EntityOperationFailedException</c> carries.</summary>
    public const string FailureType = StoreRows.PoisonMessageFailureType;

    /// <summary>One failure reply, to its caller's execution, for each operation call among <paramref name="messages"/>.</summary>
    public static IReadOnlyList<OutgoingMessage> Replies(IEnumerable<InstanceMessage> messages, string errorType, string reason, DateTime now)
    {
        var replies = new List<OutgoingMessage>();
        foreach (var message in messages)
        {
            if (message.Event.EventTypeCase != P.HistoryEvent.EventTypeOneofCase.EventRaised
                || !EntityMessageNames.IsRequest(message.Event.EventRaised.Name)
                || !EntityJson.TryDeserialize(message.Event.EventRaised.Input, out EntityRequestMessage? request, out _)
                || request is null || request.IsSignal || request.LocksEntities || request.ParentInstanceId is null || request.Id == Guid.Empty)
            {
                continue;
            }

            var response = new EntityResponseMessage
            {
                FailureDetails = new EntityFailureDetails { ErrorType = errorType, ErrorMessage = reason, IsNonRetriable = true },
            };
            var reply = new P.HistoryEvent
            {
                EventId = -1,
                Timestamp = Timestamp.FromDateTime(DateTime.SpecifyKind(now, DateTimeKind.Utc)),
                EventRaised = new P.EventRaisedEvent { Name = EntityMessageNames.Response(request.Id), Input = EntityJson.Serialize(response) },
            };
            replies.Add(new OutgoingMessage(request.ParentInstanceId, reply, now, request.ParentExecutionId));
        }

        return replies;
    }
}
