using System.Text.Json;
using Microsoft.DurableTask.Client;

namespace Serverless.Functions.Management;

/// <summary>
/// The JSON of an orchestration's status as the management API answers <c>GET /instances/{instanceId}</c> (and each
/// element of <c>GET /instances</c>), for a program that reads the store through <see cref="DurableTaskClient"/>
/// itself, such as the <c>durable</c> command on a stopped hub's data directory: both then show the same fields.
/// </summary>
public static class DurableStatusJson
{
    /// <summary>Writes the status object: name, instanceId, runtimeStatus, input, customStatus, output, createdTime, lastUpdatedTime and, when given, historyEvents.</summary>
    /// <param name="writer">Where the object is written.</param>
    /// <param name="metadata">The instance, read with its inputs and outputs.</param>
    /// <param name="showInput">Whether the input is shown (null otherwise), as <c>showInput</c>.</param>
    /// <param name="history">The history, as <c>showHistory=true</c>; null leaves the field out.</param>
    /// <param name="showHistoryOutput">Whether history events carry their results, as <c>showHistoryOutput</c>.</param>
    public static void Write(Utf8JsonWriter writer, OrchestrationMetadata metadata, bool showInput, IEnumerable<global::DurableTask.Core.History.HistoryEvent>? history, bool showHistoryOutput)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(metadata);
        JsonResponses.WriteStatus(writer, metadata, showInput, history, showHistoryOutput);
    }
}
