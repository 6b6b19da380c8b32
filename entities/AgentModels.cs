using System.Text.Json.Serialization;

namespace CompanyHub.Entities;

/// <summary>The persona an agent presents.</summary>
public sealed record AgentIdentity(string Name, string Personality);

/// <summary>
/// How much an agent may do without asking: level 1 always asks; level 2 acts within its person's standing grants (the
/// API works it out from the active grants, listing their types).
/// </summary>
public sealed record AgentAutonomy(int Level, IReadOnlyList<string> Grants)
{
    public static AgentAutonomy AlwaysAsk { get; } = new(1, []);
}

[JsonConverter(typeof(JsonStringEnumConverter<AgentStatus>))]
public enum AgentStatus
{
    Active,
    Disabled,
}

/// <summary>What is needed to create an agent.</summary>
/// <param name="GoogleScopes">The scopes the person granted at Google sign-in (Google's token response <c>scope</c>); null without Google.</param>
/// <param name="GoogleSubject">The Google account's stable id (<c>sub</c>); null without Google.</param>
public sealed record AgentProfile(string AgentId, string Email, string Name, AgentIdentity Identity, IReadOnlyList<string> AllowAgents, AgentAutonomy Autonomy, string Workspace,
    IReadOnlyList<string>? GoogleScopes = null, string? GoogleSubject = null);

/// <summary>A message from another agent, waiting in an agent's inbox.</summary>
public sealed record InboxMessage(string Id, string FromAgentId, string Text, DateTimeOffset At, string? InReplyTo = null);

/// <summary>One turn of the conversation between a person and their agent.</summary>
public sealed record ConversationMessage(long Seq, string Role, string Text, DateTimeOffset At, string? TurnId = null);

/// <summary>A fact the person asked their agent to remember (<see cref="AgentState.Memory"/>).</summary>
/// <param name="Id">Its id (<c>m-…</c>).</param>
/// <param name="Text">The fact, at most <see cref="AgentState.MaxMemoryText"/> characters.</param>
/// <param name="At">When it was remembered.</param>
/// <param name="TurnId">The turn in which the agent remembered it.</param>
public sealed record MemoryFact(string Id, string Text, DateTimeOffset At, string? TurnId = null);

/// <summary>The part of a proposal the agent keeps in its list (<see cref="ExpiresAt"/>: null in summaries written before notifications).</summary>
public sealed record ProposalSummary(string ProposalId, string Type, string Status, string Title, DateTimeOffset CreatedAt, DateTimeOffset? DecidedAt = null, string? Outcome = null, int Revision = 1, DateTimeOffset? ExpiresAt = null)
{
    /// <summary>Gets the status of the change's inverse when it ran under a grant (<see cref="Orchestrations.Approvals.ProposalInverse"/>), so that the dashboard offers it.</summary>
    public string? Inverse { get; init; }
}

/// <summary>
/// One numbered change of an agent, kept in <see cref="AgentState.Changes"/> so that a live view (the dashboard's event
/// stream) can tell what changed since the last change it saw, on any replica, by reading the agent alone.
/// </summary>
/// <param name="Version">The agent's change number (<see cref="AgentState.Version"/> after the change).</param>
/// <param name="Kind">One of <see cref="AgentChangeKinds"/>.</param>
/// <param name="Id">What changed: a message's sequence number, a proposal's or an inbox message's id; null for the agent itself.</param>
public sealed record AgentChange(long Version, string Kind, string? Id = null);

/// <summary>The kinds of <see cref="AgentChange"/>.</summary>
public static class AgentChangeKinds
{
    /// <summary>A conversation message was added (id: its sequence number).</summary>
    public const string Message = "message";

    /// <summary>A proposal was created, edited, decided or finished (id: the proposal id).</summary>
    public const string Proposal = "proposal";

    /// <summary>The agent's status, "working" mark, Google connection or sharing changed.</summary>
    public const string Agent = "agent";

    /// <summary>A fact was remembered or deleted (id: the fact's id).</summary>
    public const string Memory = "memory";

    /// <summary>A message from another agent reached the inbox (id: its id).</summary>
    public const string Inbox = "inbox";

    /// <summary>A grant was created, edited, revoked, used or settled (id: the grant id).</summary>
    public const string Grant = "grant";

    /// <summary>The person's token was replaced or revoked (nothing to show; open streams check their access again).</summary>
    public const string Access = "access";
}

/// <summary>The durable state of an agent (entity <c>agent@&lt;agentId&gt;</c>).</summary>
public sealed class AgentState
{
    /// <summary>Bounds that keep the entity state small; older items live in the conversation archive / audit log.</summary>
    public const int MaxInbox = 200;
    public const int MaxConversation = 100;
    public const int MaxDecidedProposals = 200;
    public const int MaxChanges = 200;

    /// <summary>Bounds of the agent's memory: it goes whole into the agent's own turns.</summary>
    public const int MaxMemory = 50;
    public const int MaxMemoryText = 500;

    public string AgentId { get; set; } = "";

    public string Email { get; set; } = "";

    public string Name { get; set; } = "";

    public string Workspace { get; set; } = "";

    public AgentIdentity Identity { get; set; } = new("", "");

    public List<string> AllowAgents { get; set; } = [];

    /// <summary>Gets why this agent may not message <paramref name="target"/> under its <c>allowAgents</c>, or null when it may.</summary>
    public string? WhyNotAllowedToMessage(string target) =>
        AllowAgents.Contains("*") || AllowAgents.Contains(target) ? null : $"this agent may not message '{target}' (allowAgents: {string.Join(", ", AllowAgents)}).";

    public AgentAutonomy Autonomy { get; set; } = AgentAutonomy.AlwaysAsk;

    /// <summary>
    /// Gets or sets whether turns that another agent starts may read the company's Notion and Attio for this agent's
    /// person (their replies still wait for the person's approval). Off unless the person turns it on.
    /// </summary>
    public bool CompanyToolsForAgents { get; set; }

    /// <summary>Gets or sets how the person wants to hear of their waiting proposals (per channel, and whether to be reminded).</summary>
    public Orchestrations.Notifications.NotificationSettings Notifications { get; set; } = new();

    public AgentStatus Status { get; set; } = AgentStatus.Active;

    /// <summary>Gets or sets the SHA-256 of the user's token; the token itself is never stored.</summary>
    public string? TokenHash { get; set; }

    /// <summary>Gets or sets the sealed Google refresh token (see SecretBox); never the plain token.</summary>
    public string? SealedGoogleRefreshToken { get; set; }

    /// <summary>
    /// Gets or sets the scopes the person granted at their last Google sign-in or reconnect; null for an agent whose
    /// sign-in predates their recording (it had the onboarding scopes of its time).
    /// </summary>
    public List<string>? GoogleScopes { get; set; }

    /// <summary>Gets or sets the Google account's stable id (<c>sub</c>) recorded at sign-in: a reconnect must come back with the same.</summary>
    public string? GoogleSubject { get; set; }

    /// <summary>Gets or sets when Google refused the sealed refresh token (revoked or expired): the person must reconnect Google. Null when fine.</summary>
    public DateTimeOffset? GoogleAccessLostAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset LastActiveAt { get; set; }

    /// <summary>Gets or sets the turn being thought about right now, if any.</summary>
    public string? WorkingTurnId { get; set; }

    public List<InboxMessage> Inbox { get; set; } = [];

    public List<ConversationMessage> Conversation { get; set; } = [];

    /// <summary>Gets or sets the sequence number of the next conversation message (counts archived ones too).</summary>
    public long NextSeq { get; set; } = 1;

    public List<ProposalSummary> Proposals { get; set; } = [];

    /// <summary>Gets or sets the facts the person asked the agent to remember, oldest first (private to the person and the agent's own turns).</summary>
    public List<MemoryFact> Memory { get; set; } = [];

    /// <summary>Gets or sets the person's standing grants (active, revoked and expired; see <see cref="GrantRules"/>).</summary>
    public List<StandingGrant> Grants { get; set; } = [];

    /// <summary>Gets or sets how often near-identical proposals were approved by hand (key: <see cref="GrantRules.Suggest"/>), to suggest a grant after the third.</summary>
    public Dictionary<string, int> ApprovalStreaks { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets the number of the agent's latest change (0 before any was numbered).</summary>
    public long Version { get; set; }

    /// <summary>Gets or sets the latest changes, oldest first, at most <see cref="MaxChanges"/>.</summary>
    public List<AgentChange> Changes { get; set; } = [];

    /// <summary>Numbers a change and keeps it in <see cref="Changes"/> (dropping the oldest beyond the bound).</summary>
    public void Changed(string kind, string? id = null)
    {
        Version++;
        Changes.Add(new AgentChange(Version, kind, id));
        if (Changes.Count > MaxChanges)
        {
            Changes.RemoveRange(0, Changes.Count - MaxChanges);
        }
    }
}

/// <summary>A connected Google account: its email and the sealed refresh token.</summary>
public sealed record GoogleConnection(string Email, string SealedRefreshToken);

/// <summary>A reconnected Google account of an existing agent: the new sealed refresh token, the granted scopes and the account's id.</summary>
public sealed record GoogleReconnection(string SealedRefreshToken, IReadOnlyList<string> Scopes, string? Subject);

/// <summary>Google refused this sealed refresh token at <paramref name="At"/> (<see cref="AgentEntity.MarkGoogleAccessLost"/>).</summary>
public sealed record GoogleAccessLoss(string SealedRefreshToken, DateTimeOffset At);

/// <summary>A sealed credential and the same secret sealed under a new master key (<see cref="AgentEntity.ResealGoogleCredential"/>).</summary>
public sealed record CredentialReseal(string Previous, string Current);
