using System.Text.Json.Serialization;

namespace Serverless.Functions.Management;

/// <summary>
/// The management URLs of one orchestration instance, as Durable Functions returns them in a check-status response.
/// (Microsoft's <c>HttpManagementPayload</c> cannot be filled outside its assembly: its setters are internal.)
/// </summary>
internal sealed class InstanceManagementUrls
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("statusQueryGetUri")]
    public required string StatusQueryGetUri { get; init; }

    [JsonPropertyName("sendEventPostUri")]
    public required string SendEventPostUri { get; init; }

    [JsonPropertyName("terminatePostUri")]
    public required string TerminatePostUri { get; init; }

    [JsonPropertyName("purgeHistoryDeleteUri")]
    public required string PurgeHistoryDeleteUri { get; init; }

    [JsonPropertyName("restartPostUri")]
    public required string RestartPostUri { get; init; }

    [JsonPropertyName("suspendPostUri")]
    public required string SuspendPostUri { get; init; }

    [JsonPropertyName("resumePostUri")]
    public required string ResumePostUri { get; init; }
}
