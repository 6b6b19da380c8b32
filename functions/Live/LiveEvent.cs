using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace CompanyHub.Functions.Live;

/// <summary>The event types of the dashboards' streams (docs/http-api.md, "Live updates").</summary>
public static class LiveEventTypes
{
    /// <summary>First event of every stream: what it is about, and the id to resume from.</summary>
    public const string Ready = "ready";

    /// <summary>The stream cannot tell what changed since the id the client gave: read everything again.</summary>
    public const string Reset = "reset";

    public const string Message = "message";

    public const string Proposal = "proposal";

    public const string Agent = "agent";

    public const string Inbox = "inbox";

    /// <summary>A grant changed (created, edited, revoked, used): its view as <c>GET /api/agents/{id}/grants</c> lists it; on the admin stream, all of one agent's grants.</summary>
    public const string Grant = "grant";

    public const string Instance = "instance";

    /// <summary>Last event before the hub ends a stream whose access ended (token replaced, agent offboarded).</summary>
    public const string Closed = "closed";

    /// <summary>Sent when nothing else was sent for the heartbeat interval; carries no data, so browsers ignore it.</summary>
    public const string Heartbeat = "heartbeat";
}

/// <summary>Builds the server-sent events: JSON data in the API's own casing, ids as given.</summary>
public static class LiveEvent
{
    /// <summary>How long a browser waits before it reconnects a dropped stream (the <c>retry</c> field of the first event).</summary>
    public static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static SseItem<string> Create(string type, object data, string? id) =>
        new(JsonSerializer.Serialize(data, Json), type) { EventId = id };

    public static SseItem<string> Create(string type, object data, long id) => Create(type, data, id.ToString(CultureInfo.InvariantCulture));

    public static SseItem<string> Heartbeat() => new(string.Empty, LiveEventTypes.Heartbeat);
}
