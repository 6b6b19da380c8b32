using System.Globalization;
using System.Text.Json;
using global::DurableTask.Core.History;

namespace Serverless.Functions.Management;

/// <summary>
/// Shapes an instance's history (DTFx <see cref="HistoryEvent"/>s, as <c>DurableTaskClient.GetOrchestrationHistoryAsync</c>
/// returns them) as the Durable Functions status API shows it (<c>showHistory=true</c>): PascalCase fields, the
/// OrchestratorStarted/Completed markers dropped, and each TaskScheduled or SubOrchestrationInstanceCreated folded
/// into its completion as <c>FunctionName</c> and <c>ScheduledTime</c>. Results are included only with
/// <c>showHistoryOutput=true</c>.
/// </summary>
internal static class HistoryFormatter
{
    public static void Write(Utf8JsonWriter writer, IEnumerable<HistoryEvent> history, bool showHistoryOutput)
    {
        var events = history.ToList();
        var scheduled = new Dictionary<(EventType Kind, int Id), HistoryEvent>();
        foreach (var e in events)
        {
            if (e.EventType is EventType.TaskScheduled or EventType.SubOrchestrationInstanceCreated)
            {
                scheduled[(e.EventType, e.EventId)] = e;
            }
        }

        writer.WriteStartArray();
        foreach (var e in events)
        {
            if (e.EventType is EventType.OrchestratorStarted or EventType.OrchestratorCompleted or EventType.TaskScheduled or EventType.SubOrchestrationInstanceCreated)
            {
                continue;
            }

            writer.WriteStartObject();
            writer.WriteString("EventType", e.EventType.ToString());
            switch (e)
            {
                case ExecutionStartedEvent started:
                    writer.WriteString("FunctionName", started.Name);
                    break;
                case ExecutionCompletedEvent completed:
                    writer.WriteString("OrchestrationStatus", completed.OrchestrationStatus.ToString());
                    if (showHistoryOutput)
                    {
                        writer.WritePropertyName("Result");
                        JsonResponses.WriteRaw(writer, completed.Result ?? FailureText(completed.FailureDetails));
                    }

                    break;
                case ExecutionSuspendedEvent suspended:
                    writer.WriteString("Reason", suspended.Reason);
                    break;
                case ExecutionResumedEvent resumed:
                    writer.WriteString("Reason", resumed.Reason);
                    break;
                case TaskCompletedEvent completed:
                    Completion(writer, Scheduled(scheduled, EventType.TaskScheduled, completed.TaskScheduledId), null, completed.Result, showHistoryOutput);
                    break;
                case TaskFailedEvent failed:
                    Completion(writer, Scheduled(scheduled, EventType.TaskScheduled, failed.TaskScheduledId), FailureText(failed.FailureDetails) ?? failed.Reason ?? string.Empty, null, showHistoryOutput);
                    break;
                case SubOrchestrationInstanceCompletedEvent completed:
                    Completion(writer, Scheduled(scheduled, EventType.SubOrchestrationInstanceCreated, completed.TaskScheduledId), null, completed.Result, showHistoryOutput);
                    break;
                case SubOrchestrationInstanceFailedEvent failed:
                    Completion(writer, Scheduled(scheduled, EventType.SubOrchestrationInstanceCreated, failed.TaskScheduledId), FailureText(failed.FailureDetails) ?? failed.Reason ?? string.Empty, null, showHistoryOutput);
                    break;
                case TimerCreatedEvent created:
                    writer.WriteString("FireAt", Time(created.FireAt));
                    break;
                case TimerFiredEvent fired:
                    writer.WriteString("FireAt", Time(fired.FireAt));
                    break;
                case EventRaisedEvent raised:
                    writer.WriteString("Name", raised.Name);
                    break;
                case EventSentEvent sent:
                    writer.WriteString("Name", sent.Name);
                    break;
                default:
                    break;
            }

            writer.WriteString("Timestamp", JsonResponses.EventTime(new DateTimeOffset(DateTime.SpecifyKind(e.Timestamp, DateTimeKind.Utc))));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static HistoryEvent? Scheduled(Dictionary<(EventType Kind, int Id), HistoryEvent> scheduled, EventType kind, int id) =>
        scheduled.GetValueOrDefault((kind, id));

    private static void Completion(Utf8JsonWriter writer, HistoryEvent? scheduled, string? failure, string? result, bool showHistoryOutput)
    {
        if (scheduled is not null)
        {
            writer.WriteString("FunctionName", scheduled switch
            {
                TaskScheduledEvent task => task.Name,
                SubOrchestrationInstanceCreatedEvent sub => sub.Name,
                _ => null,
            });
            writer.WriteString("ScheduledTime", JsonResponses.EventTime(new DateTimeOffset(DateTime.SpecifyKind(scheduled.Timestamp, DateTimeKind.Utc))));
        }

        if (failure is not null)
        {
            writer.WriteString("Reason", failure);
        }
        else if (showHistoryOutput)
        {
            writer.WritePropertyName("Result");
            JsonResponses.WriteRaw(writer, result);
        }
    }

    private static string? FailureText(global::DurableTask.Core.FailureDetails? failure) => failure is null ? null : $"{failure.ErrorType}: {failure.ErrorMessage}";

    private static string Time(DateTime time) => DateTime.SpecifyKind(time, DateTimeKind.Utc).ToString("o", CultureInfo.InvariantCulture);
}
