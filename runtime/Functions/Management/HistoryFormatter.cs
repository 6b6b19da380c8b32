using System.Text.Json;
using Serverless.DurableTask.Client;

namespace Serverless.Functions.Management;

/// <summary>
/// Shapes an instance's history as the Durable Functions status API shows it (<c>showHistory=true</c>):
/// PascalCase fields, the OrchestratorStarted/Completed markers dropped, and each TaskScheduled or
/// SubOrchestrationInstanceCreated folded into its completion as <c>FunctionName</c> and <c>ScheduledTime</c>.
/// Results are included only with <c>showHistoryOutput=true</c>.
/// </summary>
internal static class HistoryFormatter
{
    public static void Write(Utf8JsonWriter writer, IReadOnlyList<HistoryEventInfo> history, bool showHistoryOutput)
    {
        var scheduled = new Dictionary<(string Kind, int Id), HistoryEventInfo>();
        foreach (var e in history)
        {
            if (e.EventType is "TaskScheduled" or "SubOrchestrationInstanceCreated")
            {
                scheduled[(e.EventType, e.EventId)] = e;
            }
        }

        writer.WriteStartArray();
        foreach (var e in history)
        {
            switch (e.EventType)
            {
                case "OrchestratorStarted" or "OrchestratorCompleted" or "TaskScheduled" or "SubOrchestrationInstanceCreated":
                    continue;
                default:
                    break;
            }

            writer.WriteStartObject();
            writer.WriteString("EventType", e.EventType);
            switch (e.EventType)
            {
                case "ExecutionStarted":
                    writer.WriteString("FunctionName", e.Name);
                    break;
                case "ExecutionCompleted":
                    writer.WriteString("OrchestrationStatus", e.Name);
                    if (showHistoryOutput)
                    {
                        writer.WritePropertyName("Result");
                        JsonResponses.WriteRaw(writer, e.Data);
                    }

                    break;
                case "ExecutionSuspended" or "ExecutionResumed":
                    writer.WriteString("Reason", e.Data);
                    break;
                case "TaskCompleted" or "TaskFailed":
                    Completion(writer, e, scheduled.GetValueOrDefault(("TaskScheduled", e.ScheduledId ?? -1)), e.EventType == "TaskFailed", showHistoryOutput);
                    break;
                case "SubOrchestrationInstanceCompleted" or "SubOrchestrationInstanceFailed":
                    Completion(writer, e, scheduled.GetValueOrDefault(("SubOrchestrationInstanceCreated", e.ScheduledId ?? -1)), e.EventType.EndsWith("Failed", StringComparison.Ordinal), showHistoryOutput);
                    break;
                case "TimerCreated" or "TimerFired":
                    writer.WriteString("FireAt", e.Data);
                    break;
                case "EventRaised" or "EventSent" or "EntityOperationCalled" or "EntityOperationSignaled":
                    writer.WriteString("Name", e.Name);
                    break;
                default:
                    break;
            }

            writer.WriteString("Timestamp", JsonResponses.EventTime(e.Timestamp));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void Completion(Utf8JsonWriter writer, HistoryEventInfo e, HistoryEventInfo? scheduled, bool failed, bool showHistoryOutput)
    {
        if (scheduled is not null)
        {
            writer.WriteString("FunctionName", scheduled.Name);
            writer.WriteString("ScheduledTime", JsonResponses.EventTime(scheduled.Timestamp));
        }

        if (failed)
        {
            writer.WriteString("Reason", e.Data);
        }
        else if (showHistoryOutput)
        {
            writer.WritePropertyName("Result");
            JsonResponses.WriteRaw(writer, e.Data);
        }
    }
}
