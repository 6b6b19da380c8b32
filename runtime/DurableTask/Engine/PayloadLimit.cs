using System.Text;
using P = Microsoft.DurableTask.Protobuf;

namespace Serverless.DurableTask.Engine;

/// <summary>
/// The one payload limit of a hub: an input, an output, an event's data, a custom status or an entity signal larger
/// than it is refused where it enters — by the client before anything is stored, by the worker before a step or an
/// activity result is committed — so a store never holds half of it and one huge value cannot stall a step's commit.
/// </summary>
internal static class PayloadLimit
{
    /// <summary>4 MiB: the size above which Durable Functions' storage providers move a message to a blob.</summary>
    public const int DefaultMaxBytes = 4 * 1024 * 1024;

    /// <summary>The error type of a failure for an over-large payload, as an activity's failure names its exception.</summary>
    public static readonly string FailureType = typeof(PayloadTooLargeException).FullName!;

    /// <summary>Throws <see cref="PayloadTooLargeException"/> when <paramref name="payload"/> is over <paramref name="maxBytes"/> UTF-8 bytes.</summary>
    public static void Check(string? payload, int maxBytes, string what)
    {
        if (SizeOver(payload, maxBytes) is { } size)
        {
            throw new PayloadTooLargeException(what, size, maxBytes);
        }
    }

    /// <summary>The payload's size when it is over the limit; null when it fits (the common case costs no count).</summary>
    public static long? SizeOver(string? payload, int maxBytes)
    {
        // A UTF-8 encoding takes at most three bytes for each UTF-16 char.
        if (payload is null || (long)payload.Length * 3 <= maxBytes)
        {
            return null;
        }

        var size = Encoding.UTF8.GetByteCount(payload);
        return size > maxBytes ? size : null;
    }

    /// <summary>The first part of an orchestration step's commit that is over the limit, or null when all fit.</summary>
    public static PayloadTooLargeException? FirstOver(OrchestrationCommit commit, int maxBytes)
    {
        IEnumerable<(string What, string? Payload)> Parts()
        {
            yield return ("orchestration output", commit.Instance?.Output);
            yield return ("orchestration custom status", commit.Instance?.CustomStatus);
            foreach (var task in commit.NewTasks)
            {
                yield return ($"input of activity '{task.Name}'", task.Input);
            }

            foreach (var instance in commit.NewInstances)
            {
                yield return ($"input of orchestration '{instance.Name}'", instance.Input);
            }

            foreach (var message in commit.Messages)
            {
                yield return (message.Event.EventTypeCase switch
                {
                    P.HistoryEvent.EventTypeOneofCase.EventRaised => $"data of event '{message.Event.EventRaised.Name}' sent to '{message.InstanceId}'",
                    P.HistoryEvent.EventTypeOneofCase.ExecutionStarted => "input of the next execution (ContinueAsNew)",
                    _ => $"message to '{message.InstanceId}'",
                }, PayloadOf(message.Event));
            }
        }

        foreach (var (what, payload) in Parts())
        {
            if (SizeOver(payload, maxBytes) is { } size)
            {
                return new PayloadTooLargeException(what, size, maxBytes);
            }
        }

        return null;
    }

    private static string? PayloadOf(P.HistoryEvent e) => e.EventTypeCase switch
    {
        P.HistoryEvent.EventTypeOneofCase.EventRaised => e.EventRaised.Input,
        P.HistoryEvent.EventTypeOneofCase.ExecutionStarted => e.ExecutionStarted.Input,
        P.HistoryEvent.EventTypeOneofCase.SubOrchestrationInstanceCompleted => e.SubOrchestrationInstanceCompleted.Result,
        _ => null,
    };
}
