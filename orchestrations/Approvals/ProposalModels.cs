using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace CompanyHub.Orchestrations.Approvals;

/// <summary>The action types a proposal can carry (the wire names of the HTTP contract).</summary>
public static class ProposalTypes
{
    public const string SendEmail = "send_email";
    public const string CreateCalendarEvent = "create_calendar_event";
    public const string CreateNotionPage = "create_notion_page";
    public const string UpdateNotionPage = "update_notion_page";
    public const string UpdateAttioRecord = "update_attio_record";
    public const string CreateAttioNote = "create_attio_note";
    public const string CreateAttioTask = "create_attio_task";
    public const string MessageAgent = "message_agent";

    // More of Attio and Notion (issue 21).
    public const string CreateAttioRecord = "create_attio_record";
    public const string CompleteAttioTask = "complete_attio_task";
    public const string ArchiveNotionPage = "archive_notion_page";
    public const string AppendNotionBlocks = "append_notion_blocks";

    // More of Google Calendar (issue 21).
    public const string UpdateCalendarEvent = "update_calendar_event";
    public const string CancelCalendarEvent = "cancel_calendar_event";
    public const string RespondCalendarEvent = "respond_calendar_event";

    // Gmail drafts and a new Google Doc (issue 21).
    public const string CreateGmailDraft = "create_gmail_draft";

    /// <summary>Sends a draft as it is in Gmail; the hub reads the draft when it is proposed (its recipients, subject, body and message id go into the payload).</summary>
    public const string SendGmailDraft = "send_gmail_draft";
    public const string CreateGoogleDoc = "create_google_doc";

    /// <summary>An agent's answer to another agent's message: made by the hub at the end of that turn, never composed.</summary>
    public const string ReplyAgent = "reply_agent";

    /// <summary>The orchestrator's: invite a person (the admin approves).</summary>
    public const string StartOnboarding = "start_onboarding";

    /// <summary>The orchestrator's: a message to every active agent (the admin approves).</summary>
    public const string Broadcast = "broadcast";

    /// <summary>A standing grant the agent suggests after near-identical approvals: approved, it becomes the person's grant. Never covered by a grant.</summary>
    public const string Grant = "grant";

    public static IReadOnlyList<string> All { get; } =
        [
            SendEmail, CreateCalendarEvent, CreateNotionPage, UpdateNotionPage, UpdateAttioRecord, CreateAttioNote, CreateAttioTask, MessageAgent, ReplyAgent, StartOnboarding, Broadcast, Grant,
            CreateAttioRecord, CompleteAttioTask, ArchiveNotionPage, AppendNotionBlocks,
            UpdateCalendarEvent, CancelCalendarEvent, RespondCalendarEvent,
            CreateGmailDraft, SendGmailDraft, CreateGoogleDoc,
        ];

    /// <summary>Types only the hub creates (neither an agent's tool nor the API composes them; a person creates grants at <c>/api/agents/{id}/grants</c>).</summary>
    public static IReadOnlyList<string> HubOnly { get; } = [ReplyAgent, Grant];

    /// <summary>Types a proposal can be composed as (by an agent's tool or through the API).</summary>
    public static IReadOnlyList<string> Composable { get; } = [.. All.Except(HubOnly)];

    /// <summary>Types only the orchestrator agent may propose.</summary>
    public static IReadOnlyList<string> OrchestratorOnly { get; } = [StartOnboarding, Broadcast];
}

/// <summary>The states of a proposal. See docs/approvals.md for the diagram.</summary>
public static class ProposalStatus
{
    public const string Pending = "pending";

    /// <summary>Approved by a standing grant and waiting out its undo window; undo or revocation cancels it.</summary>
    public const string Held = "held";
    public const string Executing = "executing";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Rejected = "rejected";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";

    public static bool IsFinal(string status) => status is Succeeded or Failed or Rejected or Expired or Cancelled;
}

/// <summary>Who proposed an action: the agent itself, its person, or a peer agent (by id).</summary>
public sealed record ProposedBy(string Kind, string? AgentId = null)
{
    public static ProposedBy User { get; } = new("user");

    public static ProposedBy Agent(string agentId) => new("agent", agentId);

    public static ProposedBy Peer(string agentId) => new("peer", agentId);
}

/// <summary>What starts an approval orchestration.</summary>
public sealed record ProposalRequest(string ProposalId, string AgentId, string AgentEmail, string Type, JsonObject Payload, ProposedBy ProposedBy, DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// Gets whether the proposal may run under one of its person's standing grants. Set for what the person or their
    /// own agent proposes; absent (false) in proposals started before grants existed, whose histories have no grant check.
    /// </summary>
    public bool GrantsApply { get; init; }
}

/// <summary>A decision on a pending proposal, raised as the <c>ApprovalDecision</c> event.</summary>
/// <param name="Decision">approve, edit, reject (or cancel, from offboarding).</param>
/// <param name="Changes">The fields an edit changes.</param>
/// <param name="Reason">Why, for a reject or cancel.</param>
/// <param name="DecidedBy">The actor, such as <c>user:alice-company-com</c> or <c>admin</c>.</param>
/// <param name="Revision">The revision the decider saw; a decision on a revision that an edit has since replaced is ignored. Null applies to the current one (chat).</param>
/// <param name="DecisionId">Set by the decision request so that it can tell whether its decision was the one applied.</param>
public sealed record ApprovalDecision(string Decision, JsonObject? Changes = null, string? Reason = null, string? DecidedBy = null, int? Revision = null, string? DecisionId = null)
{
    public const string EventName = "ApprovalDecision";
    public const string Approve = "approve";
    public const string Edit = "edit";
    public const string Reject = "reject";
    public const string Cancel = "cancel";

    /// <summary>The person applies the inverse of a change a grant approved (<see cref="ProposalView.Inverse"/>).</summary>
    public const string Inverse = "inverse";
}

/// <summary>The inverse actions of Notion and Attio changes (what a person can apply after a grant approved the change).</summary>
public static class InverseActions
{
    /// <summary>Moves the page a <c>create_notion_page</c> created to the trash: the same action as an <c>archive_notion_page</c> proposal.</summary>
    public const string ArchiveNotionPage = ProposalTypes.ArchiveNotionPage;

    /// <summary>Writes back the property values an <c>update_notion_page</c> replaced.</summary>
    public const string RestoreNotionPage = "restore_notion_page";

    /// <summary>Writes back (replacing) the attribute values an <c>update_attio_record</c> replaced.</summary>
    public const string RestoreAttioRecord = "restore_attio_record";

    public const string DeleteAttioNote = "delete_attio_note";

    public const string DeleteAttioTask = "delete_attio_task";

    /// <summary>The change has no inverse the API offers (its description says why).</summary>
    public const string None = "none";

    public static IReadOnlyList<string> All { get; } = [ArchiveNotionPage, RestoreNotionPage, RestoreAttioRecord, DeleteAttioNote, DeleteAttioTask];
}

/// <summary>
/// The inverse of a change that ran under a grant: what it does, what it needs, and whether it was applied. Applying it
/// is the person's action, once only, while <see cref="Until"/> has not passed. See docs/approvals.md, "Inverses".
/// </summary>
public sealed record ProposalInverse
{
    public const string Available = "available";
    public const string Applying = "applying";
    public const string Applied = "applied";
    public const string Failed = "failed";

    /// <summary>The window ended (or the agent was offboarded) before anyone applied it.</summary>
    public const string Closed = "closed";

    /// <summary>The change has no inverse.</summary>
    public const string Unavailable = "none";

    /// <summary>Gets the inverse action (<see cref="InverseActions"/>).</summary>
    public required string Action { get; init; }

    /// <summary>Gets what applying it does, or why there is none, for the card.</summary>
    public required string Description { get; init; }

    /// <summary>Gets what the inverse action needs (the page, the old values, the note...).</summary>
    public JsonObject Payload { get; init; } = [];

    public string Status { get; init; } = Available;

    /// <summary>Gets until when it can be applied.</summary>
    public DateTimeOffset? Until { get; init; }

    public string? AppliedBy { get; init; }

    public DateTimeOffset? AppliedAt { get; init; }

    public string? Result { get; init; }

    public string? Error { get; init; }

    public static ProposalInverse NoneBecause(string why) => new() { Action = InverseActions.None, Description = why, Status = Unavailable };
}

/// <summary>One earlier revision of a proposal (kept when an edit makes a new one).</summary>
public sealed record ProposalRevision(int Revision, JsonObject Payload, string? EditedBy, DateTimeOffset At);

/// <summary>The whole visible state of a proposal: the approval orchestration's custom status and output.</summary>
public sealed record ProposalView
{
    public required string ProposalId { get; init; }

    public required string AgentId { get; init; }

    public required string Type { get; init; }

    public required string Status { get; init; }

    public required int Revision { get; init; }

    public required JsonObject Payload { get; init; }

    public required string Card { get; init; }

    public required ProposedBy ProposedBy { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? DecidedAt { get; init; }

    public string? DecidedBy { get; init; }

    public string? Reason { get; init; }

    /// <summary>Gets the standing grant that approved the proposal, if one did.</summary>
    public string? Grant { get; init; }

    /// <summary>Gets why no grant covered the proposal (the bound it crossed) when the agent has a grant of its type.</summary>
    public string? GrantNote { get; init; }

    /// <summary>Gets the inverse of a Notion or Attio change that ran under a grant, or says that there is none.</summary>
    public ProposalInverse? Inverse { get; init; }

    /// <summary>Gets when the undo window of a proposal held under a grant ends.</summary>
    public DateTimeOffset? HeldUntil { get; init; }

    /// <summary>Gets the id of the last decision applied (see <see cref="ApprovalDecision.DecisionId"/>).</summary>
    public string? DecisionId { get; init; }

    /// <summary>Gets what the tool answered on success (for example the sent message id), for the person to see.</summary>
    public string? Result { get; init; }

    /// <summary>Gets the tool's error message when the action failed.</summary>
    public string? Error { get; init; }

    public int Attempts { get; init; }

    public IReadOnlyList<ProposalRevision> Revisions { get; init; } = [];

    [JsonIgnore]
    public string Title => ProposalCard.Title(Type, Payload);
}

/// <summary>What the action activity reports.</summary>
/// <param name="Succeeded">Whether the action took effect.</param>
/// <param name="Result">A short description of the effect (message id, page url...).</param>
/// <param name="Error">The tool's error message.</param>
/// <param name="Transient">Whether trying again later may succeed (5xx, 429, timeout).</param>
/// <param name="RetryAfterSeconds">How long the tool asked us to wait, when it did.</param>
public sealed record ActionResult(bool Succeeded, string? Result = null, string? Error = null, bool Transient = false, double? RetryAfterSeconds = null)
{
    /// <summary>Gets the inverse of the change, when <see cref="ActionRequest.CaptureInverse"/> asked for it.</summary>
    public ProposalInverse? Inverse { get; init; }
}

/// <summary>The input of the action activity.</summary>
/// <param name="IdempotencyKey">Proposal id and revision: the same for every attempt of one approval.</param>
/// <param name="Type">The proposal's type, or an inverse action (<see cref="InverseActions"/>) with its payload.</param>
public sealed record ActionRequest(string ProposalId, int Revision, string AgentId, string AgentEmail, string Type, JsonObject Payload, string IdempotencyKey)
{
    /// <summary>Gets whether the runner also works out the change's inverse (reading what an update replaces first): set under a grant.</summary>
    public bool CaptureInverse { get; init; }
}
