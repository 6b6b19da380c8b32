using System.Text.Json;

namespace Serverless.DurableTask.Upgrade;

/// <summary>
/// One event or message as the release before the SDK move stored it: a JSON object whose <c>t</c> names the kind
/// (the format of <c>runtime/DurableTask/Engine/HistoryEvents.cs</c> at commit a1c7504, System.Text.Json web defaults).
/// Kept here, private to the upgrade, because the engine that wrote it is gone. Reading is strict: a kind, a property or a
/// value this reader does not know is an error, never a guess.
/// </summary>
internal sealed record LegacyEvent
{
    private static readonly Dictionary<string, string[]> Fields = new(StringComparer.Ordinal)
    {
        ["OrchestratorStarted"] = [],
        ["ExecutionStarted"] = ["name", "input", "executionId", "parentInstanceId", "parentName", "parentTaskId", "parentExecutionId"],
        ["ExecutionCompleted"] = ["status", "result", "failure"],
        ["ExecutionTerminated"] = ["reason"],
        ["ExecutionSuspended"] = ["reason"],
        ["ExecutionResumed"] = ["reason"],
        ["TaskScheduled"] = ["name", "input"],
        ["TaskCompleted"] = ["taskScheduledId", "result"],
        ["TaskFailed"] = ["taskScheduledId", "failure"],
        ["SubOrchestrationInstanceCreated"] = ["name", "instanceId", "input"],
        ["SubOrchestrationInstanceCompleted"] = ["taskScheduledId", "result"],
        ["SubOrchestrationInstanceFailed"] = ["taskScheduledId", "failure"],
        ["TimerCreated"] = ["fireAt"],
        ["TimerFired"] = ["timerId", "fireAt"],
        ["EventRaised"] = ["name", "input"],
        ["EventSent"] = ["instanceId", "name", "input"],
        ["EntityOperationCalled"] = ["requestId", "targetInstanceId", "operation", "input"],
        ["EntityOperationSignaled"] = ["requestId", "targetInstanceId", "operation", "input", "scheduledTime"],
        ["EntityOperationCompleted"] = ["requestId", "result"],
        ["EntityOperationFailed"] = ["requestId", "failure"],
        ["EntityRequest"] = ["requestId", "operation", "input", "replyToInstanceId"],
        ["ContinueAsNewStarted"] = [],
    };

    private static readonly string[] Common = ["t", "id", "ts", "x"];

    public required string Kind { get; init; }

    public int EventId { get; init; } = -1;

    public DateTime Timestamp { get; init; }

    public string? TargetExecutionId { get; init; }

    public string? Name { get; init; }

    public string? Input { get; init; }

    public string? Result { get; init; }

    public string? Reason { get; init; }

    public string? ExecutionId { get; init; }

    public string? ParentInstanceId { get; init; }

    public string? ParentName { get; init; }

    public int ParentTaskId { get; init; } = -1;

    public string? ParentExecutionId { get; init; }

    public int Status { get; init; }

    public LegacyFailure? Failure { get; init; }

    public int TaskScheduledId { get; init; } = -1;

    public string? InstanceId { get; init; }

    public DateTime FireAt { get; init; }

    public int TimerId { get; init; } = -1;

    public string? RequestId { get; init; }

    public string? TargetInstanceId { get; init; }

    public string? Operation { get; init; }

    public DateTime? ScheduledTime { get; init; }

    public string? ReplyToInstanceId { get; init; }

    /// <summary>Parses one stored event; throws <see cref="FormatException"/> for anything this reader does not know.</summary>
    public static LegacyEvent Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("t", out var t) || t.ValueKind != JsonValueKind.String)
        {
            throw new FormatException("not a stored event: no kind ('t')");
        }

        var kind = t.GetString()!;
        if (!Fields.TryGetValue(kind, out var allowed))
        {
            throw new FormatException($"unknown event kind '{kind}'");
        }

        foreach (var property in root.EnumerateObject())
        {
            if (!Common.Contains(property.Name, StringComparer.Ordinal) && !allowed.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new FormatException($"{kind} has an unknown property '{property.Name}'");
            }
        }

        return new LegacyEvent
        {
            Kind = kind,
            EventId = Int(root, "id") ?? -1,
            Timestamp = Time(root, "ts") ?? throw new FormatException($"{kind} has no timestamp"),
            TargetExecutionId = Text(root, "x"),
            Name = Text(root, "name"),
            Input = Text(root, "input"),
            Result = Text(root, "result"),
            Reason = Text(root, "reason"),
            ExecutionId = Text(root, "executionId"),
            ParentInstanceId = Text(root, "parentInstanceId"),
            ParentName = Text(root, "parentName"),
            ParentTaskId = Int(root, "parentTaskId") ?? -1,
            ParentExecutionId = Text(root, "parentExecutionId"),
            Status = Int(root, "status") ?? 0,
            Failure = root.TryGetProperty("failure", out var failure) && failure.ValueKind != JsonValueKind.Null ? LegacyFailure.Read(failure) : null,
            TaskScheduledId = Int(root, "taskScheduledId") ?? -1,
            InstanceId = Text(root, "instanceId"),
            FireAt = Time(root, "fireAt") ?? default,
            TimerId = Int(root, "timerId") ?? -1,
            RequestId = Text(root, "requestId"),
            TargetInstanceId = Text(root, "targetInstanceId"),
            Operation = Text(root, "operation"),
            ScheduledTime = Time(root, "scheduledTime"),
            ReplyToInstanceId = Text(root, "replyToInstanceId"),
        };
    }

    private static string? Text(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new FormatException($"'{name}' is not a string");

    private static int? Int(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number
        : throw new FormatException($"'{name}' is not an integer");

    private static DateTime? Time(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || !value.TryGetDateTime(out var time))
        {
            throw new FormatException($"'{name}' is not a time");
        }

        // The old engine wrote UTC times ("o" with Z); a time without a zone was UTC there too.
        return time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc);
    }
}

/// <summary>The old engine's <c>TaskFailureDetails(ErrorType, ErrorMessage, StackTrace, InnerFailure)</c>.</summary>
internal sealed record LegacyFailure(string ErrorType, string ErrorMessage, string? StackTrace, LegacyFailure? InnerFailure)
{
    public static LegacyFailure Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("a failure is not an object");
        }

        string? type = null, message = null, stack = null;
        LegacyFailure? inner = null;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "errorType":
                    type = property.Value.GetString();
                    break;
                case "errorMessage":
                    message = property.Value.GetString();
                    break;
                case "stackTrace":
                    stack = property.Value.ValueKind == JsonValueKind.Null ? null : property.Value.GetString();
                    break;
                case "innerFailure":
                    inner = property.Value.ValueKind == JsonValueKind.Null ? null : Read(property.Value);
                    break;
                default:
                    throw new FormatException($"a failure has an unknown property '{property.Name}'");
            }
        }

        return new LegacyFailure(type ?? throw new FormatException("a failure has no errorType"), message ?? "", stack, inner);
    }
}
