using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.DurableTask.Worker.Entities;

/// <summary>
/// Event names of DTFx's entity messages (DurableTask.Core.Entities.EventFormat.EntityMessageEventNames), which is
/// what Microsoft.DurableTask 1.28.0 emits from an orchestration (a <c>SendEvent</c> action to <c>@name@key</c>)
/// and expects back (an <c>EventRaised</c> named by the request id).
/// </summary>
internal static class EntityMessageNames
{
    /// <summary>An operation or lock request to deliver now.</summary>
    public const string Request = "op";

    /// <summary>A lock release from the orchestration that holds the lock.</summary>
    public const string Release = "release";

    /// <summary>A message an entity sends itself to go on with a backlog it left for the next step.</summary>
    public const string Continue = "continue";

    /// <summary>The result a granted lock answers the orchestration with (ResponseMessage.LockAcquisitionCompletion).</summary>
    public const string LockAcquisitionCompleted = "Lock Acquisition Completed";

    const string ScheduledPrefix = "op@";

    /// <summary><c>op@&lt;due, ISO 8601 round-trip&gt;</c>: a request not to be delivered before <paramref name="dueUtc"/>.</summary>
    public static string ScheduledRequest(DateTime dueUtc) =>
        ScheduledPrefix + EntityTime.AsUtc(dueUtc).ToString("o", CultureInfo.InvariantCulture);

    /// <summary>The event name of the reply to request <paramref name="requestId"/> (the Guid in "D" format).</summary>
    public static string Response(Guid requestId) => requestId.ToString("D");

    /// <summary>Whether the event is an operation or lock request (<c>op</c> or <c>op@&lt;time&gt;</c>).</summary>
    public static bool IsRequest(string? eventName) =>
        eventName is not null && (eventName == Request || eventName.StartsWith(ScheduledPrefix, StringComparison.Ordinal));

    /// <summary>Whether the event is a lock release.</summary>
    public static bool IsRelease(string? eventName) => eventName == Release;

    /// <summary>
    /// The delivery time an <c>op@&lt;time&gt;</c> event name carries (for a store that turns an orchestration's
    /// <c>SendEvent</c> into a message: deliver it at this time). False for every other name.
    /// </summary>
    public static bool TryGetScheduledTime(string? eventName, out DateTime dueUtc)
    {
        dueUtc = default;
        if (eventName is null || !eventName.StartsWith(ScheduledPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (DateTime.TryParse(
                eventName.AsSpan(ScheduledPrefix.Length),
                CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
                out DateTime parsed))
        {
            dueUtc = EntityTime.AsUtc(parsed);
            return true;
        }

        return false;
    }

    /// <summary>Whether <paramref name="instanceId"/> names an entity (<c>@name@key</c>, as DTFx's EntityId.FromString accepts).</summary>
    public static bool IsEntityInstanceId(string? instanceId) =>
        instanceId is { Length: > 1 } && instanceId[0] == '@' && instanceId.IndexOf('@', 1) > 0;
}

/// <summary>Times on the wire are UTC.</summary>
internal static class EntityTime
{
    public static DateTime AsUtc(DateTime value) => value.Kind switch
    {
        DateTimeKind.Utc => value,
        DateTimeKind.Local => value.ToUniversalTime(),
        _ => DateTime.SpecifyKind(value, DateTimeKind.Utc),
    };
}

/// <summary>
/// DTFx's <c>RequestMessage</c> (an operation, a signal or a lock request), with its JSON member names. Members this
/// code does not use (Timestamp, Predecessor, parentTraceContext, createTrace, requestTime, IsLockRequest, ...) are kept
/// as they came and written back unchanged, so a forwarded or deferred request loses nothing.
/// </summary>
internal sealed class EntityRequestMessage
{
    [JsonPropertyName("op")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Operation { get; set; }

    [JsonPropertyName("signal")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool IsSignal { get; set; }

    [JsonPropertyName("input")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Input { get; set; }

    [JsonPropertyName("id")]
    public Guid Id { get; set; }

    [JsonPropertyName("parent")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ParentInstanceId { get; set; }

    [JsonPropertyName("parentExecution")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ParentExecutionId { get; set; }

    [JsonPropertyName("due")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTime? ScheduledTime { get; set; }

    [JsonPropertyName("lockset")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<EntityLockId>? LockSet { get; set; }

    [JsonPropertyName("pos")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int Position { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Other { get; set; }

    /// <summary>
    /// A lock request carries the lock set (DTFx: <c>IsLockRequest =&gt; LockSet != null</c>). Not named IsLockRequest:
    /// that member of the JSON stays in <see cref="Other"/> and is written back as it came.
    /// </summary>
    [JsonIgnore]
    public bool LocksEntities => this.LockSet is not null;
}

/// <summary>An element of a lock set: DTFx's <c>EntityId</c> as it serializes (<c>{"name":..,"key":..}</c>).</summary>
internal sealed class EntityLockId
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("key")]
    public string? Key { get; set; }

    /// <summary>The entity's instance id, <c>@name@key</c>.</summary>
    public override string ToString() => $"@{this.Name}@{this.Key}";
}

/// <summary>DTFx's <c>ReleaseMessage</c>.</summary>
internal sealed class EntityReleaseMessage
{
    [JsonPropertyName("parent")]
    public string? ParentInstanceId { get; set; }

    [JsonPropertyName("id")]
    public string? Id { get; set; }
}

/// <summary>
/// DTFx's <c>ResponseMessage</c>, the reply to a call or a granted lock. The orchestration reads it with
/// <c>OrchestrationEntityContext.DeserializeEntityResponseEvent</c> (Newtonsoft, PopulateObject): an error is a
/// non-null <c>failureDetails</c>, which the SDK turns into an <c>EntityOperationFailedException</c>.
/// </summary>
internal sealed class EntityResponseMessage
{
    [JsonPropertyName("result")]
    public string? Result { get; set; }

    [JsonPropertyName("exceptionType")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ErrorMessage { get; set; }

    [JsonPropertyName("failureDetails")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public EntityFailureDetails? FailureDetails { get; set; }
}

/// <summary>DTFx's <c>FailureDetails</c> as Newtonsoft writes it (member names as declared).</summary>
internal sealed class EntityFailureDetails
{
    public string ErrorType { get; set; } = "";

    public string ErrorMessage { get; set; } = "";

    public string? StackTrace { get; set; }

    public EntityFailureDetails? InnerFailure { get; set; }

    public bool IsNonRetriable { get; set; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, JsonElement>? Properties { get; set; }
}

/// <summary>
/// What the entity protocol stores beside the user state (the instance row's <c>entity_scheduler</c> column): the lock
/// owner and the requests deferred while locked, in arrival order. Member names follow DTFx's SchedulerState
/// (<c>lockedBy</c>, <c>queue</c>); the user state is stored on its own, so there is no <c>state</c> member.
/// </summary>
internal sealed class EntitySchedulerState
{
    [JsonPropertyName("lockedBy")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LockedBy { get; set; }

    [JsonPropertyName("queue")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<EntityRequestMessage>? Queue { get; set; }

    [JsonIgnore]
    public bool IsEmpty => this.LockedBy is null && (this.Queue is null || this.Queue.Count == 0);

    /// <summary>DTFx's MayDequeue: the head may run when unlocked, or when it comes from the lock holder.</summary>
    public bool MayDequeue() =>
        this.Queue is { Count: > 0 } queue && (this.LockedBy is null || this.LockedBy == queue[0].ParentInstanceId);

    public EntityRequestMessage Dequeue()
    {
        EntityRequestMessage head = this.Queue![0];
        this.Queue.RemoveAt(0);
        return head;
    }

    public void Enqueue(EntityRequestMessage request) => (this.Queue ??= []).Add(request);

    /// <summary>Puts <paramref name="requests"/> in front of the queue, in their order.</summary>
    public void PutInFront(IReadOnlyList<EntityRequestMessage> requests)
    {
        if (requests.Count > 0)
        {
            (this.Queue ??= []).InsertRange(0, requests);
        }
    }
}

/// <summary>The JSON settings of the wire format: member names as declared, read case-insensitively as Newtonsoft does.</summary>
internal static class EntityJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,

        // As Newtonsoft writes it ('+', quotes and apostrophes unescaped); the bodies go to a backend, never into HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Reads <paramref name="json"/>; false with the reason (never the content) when it is not a <typeparamref name="T"/>.</summary>
    public static bool TryDeserialize<T>(string? json, out T? value, out string? reason)
        where T : class
    {
        value = null;
        reason = null;
        if (string.IsNullOrWhiteSpace(json))
        {
            reason = "empty body";
            return false;
        }

        try
        {
            value = JsonSerializer.Deserialize<T>(json, Options);
            if (value is null)
            {
                reason = "null body";
                return false;
            }

            return true;
        }
        catch (JsonException e)
        {
            reason = $"malformed JSON at {e.Path ?? "$"} (line {e.LineNumber}, byte {e.BytePositionInLine})";
            return false;
        }
    }
}
