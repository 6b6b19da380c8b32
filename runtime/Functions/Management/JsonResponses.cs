using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Client.Entities;

namespace Serverless.Functions.Management;

/// <summary>Writes the JSON shapes of the Durable Functions HTTP API.</summary>
internal static class JsonResponses
{
    public static async Task WriteAsync(HttpContext http, int statusCode, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        http.Response.StatusCode = statusCode;
        http.Response.ContentType = "application/json; charset=utf-8";
        await http.Response.Body.WriteAsync(buffer.WrittenMemory, http.RequestAborted);
    }

    /// <summary>Writes stored JSON as JSON; text that is not JSON (e.g. a plain terminate reason) is written as a string, as Durable Functions does.</summary>
    public static void WriteRaw(Utf8JsonWriter writer, string? json)
    {
        if (json is null)
        {
            writer.WriteNullValue();
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            document.RootElement.WriteTo(writer);
        }
        catch (JsonException)
        {
            writer.WriteStringValue(json);
        }
    }

    /// <summary>The time format of the status payload: seconds precision, UTC, "Z" (as Durable Functions writes it).</summary>
    public static string StatusTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string EventTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    public static void WriteStatus(Utf8JsonWriter writer, OrchestrationMetadata metadata, bool showInput, IEnumerable<global::DurableTask.Core.History.HistoryEvent>? history, bool showHistoryOutput)
    {
        writer.WriteStartObject();
        writer.WriteString("name", metadata.Name);
        writer.WriteString("instanceId", metadata.InstanceId);
        writer.WriteString("runtimeStatus", metadata.RuntimeStatus.ToString());
        writer.WritePropertyName("input");
        WriteRaw(writer, showInput ? metadata.SerializedInput : null);
        writer.WritePropertyName("customStatus");
        WriteRaw(writer, metadata.SerializedCustomStatus);
        writer.WritePropertyName("output");
        if (metadata.SerializedOutput is null && metadata.RuntimeStatus == OrchestrationRuntimeStatus.Failed && metadata.FailureDetails is { } failure)
        {
            writer.WriteStringValue($"Orchestrator function '{metadata.Name}' failed: {failure.ErrorMessage}");
        }
        else
        {
            WriteRaw(writer, metadata.SerializedOutput);
        }

        writer.WriteString("createdTime", StatusTime(metadata.CreatedAt));
        writer.WriteString("lastUpdatedTime", StatusTime(metadata.LastUpdatedAt));
        if (history is not null)
        {
            // An addition to Durable Functions' status: the id of the instance's trace, when it was created with tracing on.
            if (history.OfType<global::DurableTask.Core.History.ExecutionStartedEvent>().FirstOrDefault()?.ParentTraceContext?.TraceParent is { } traceParent
                && Serverless.DurableTask.DurableTaskTelemetry.TraceIdOf(traceParent) is { } traceId)
            {
                writer.WriteString("traceId", traceId);
            }

            writer.WritePropertyName("historyEvents");
            HistoryFormatter.Write(writer, history, showHistoryOutput);
        }

        writer.WriteEndObject();
    }

    public static void WriteEntity(Utf8JsonWriter writer, EntityMetadata entity, bool includeState)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("entityId");
        writer.WriteString("name", entity.Id.Name);
        writer.WriteString("key", entity.Id.Key);
        writer.WriteEndObject();
        writer.WriteString("lastOperationTime", EventTime(entity.LastModifiedTime));
        if (includeState)
        {
            writer.WritePropertyName("state");
            WriteRaw(writer, entity.State?.Value);
        }

        writer.WriteNumber("backlogQueueSize", entity.BacklogQueueSize);
        if (entity.LockedBy is { } lockedBy)
        {
            writer.WriteString("lockedBy", lockedBy);
        }
        else
        {
            writer.WriteNull("lockedBy");
        }
        writer.WriteEndObject();
    }
}
