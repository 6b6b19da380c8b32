using System.Text.Json.Serialization;

namespace Serverless.Functions;

/// <summary>The management URLs of one orchestration instance, as Durable Functions returns them.</summary>
public sealed class HttpManagementPayload
{
    /// <summary>Gets the instance id.</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>Gets the status URL (GET).</summary>
    [JsonPropertyName("statusQueryGetUri")]
    public required string StatusQueryGetUri { get; init; }

    /// <summary>Gets the raise-event URL template (POST; replace <c>{eventName}</c>).</summary>
    [JsonPropertyName("sendEventPostUri")]
    public required string SendEventPostUri { get; init; }

    /// <summary>Gets the terminate URL template (POST; replace <c>{text}</c> with the reason).</summary>
    [JsonPropertyName("terminatePostUri")]
    public required string TerminatePostUri { get; init; }

    /// <summary>Gets the purge URL (DELETE).</summary>
    [JsonPropertyName("purgeHistoryDeleteUri")]
    public required string PurgeHistoryDeleteUri { get; init; }

    /// <summary>Gets the restart URL (POST).</summary>
    [JsonPropertyName("restartPostUri")]
    public required string RestartPostUri { get; init; }

    /// <summary>Gets the suspend URL template (POST; replace <c>{text}</c> with the reason).</summary>
    [JsonPropertyName("suspendPostUri")]
    public required string SuspendPostUri { get; init; }

    /// <summary>Gets the resume URL template (POST; replace <c>{text}</c> with the reason).</summary>
    [JsonPropertyName("resumePostUri")]
    public required string ResumePostUri { get; init; }
}
