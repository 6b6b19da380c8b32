using Microsoft.DurableTask.Entities;

namespace CompanyHub.Entities;

/// <summary>
/// One agent: its profile, its person's token hash, inbox, recent conversation and proposals. Operations run one at a
/// time, so every change here is serial per agent. Lists are bounded: see <see cref="AgentState"/>.
/// </summary>
public sealed class AgentEntity : TaskEntity<AgentState?>
{
    public const string Name = "agent";

    public static EntityInstanceId Id(string agentId) => new(Name, agentId);

    public AgentState? Get() => State;

    /// <summary>An agent exists only once created: operations on an unknown id see no state and create none.</summary>
    protected override AgentState? InitializeState(TaskEntityOperation operation) => null;

    public void Create(AgentProfile profile)
    {
        if (State is { Status: AgentStatus.Active })
        {
            throw new InvalidOperationException($"Agent '{profile.AgentId}' already exists.");
        }

        var now = DateTimeOffset.UtcNow;
        State = new AgentState
        {
            AgentId = profile.AgentId,
            Email = profile.Email,
            Name = profile.Name,
            Identity = profile.Identity,
            AllowAgents = [.. profile.AllowAgents],
            Autonomy = profile.Autonomy,
            Workspace = profile.Workspace,
            GoogleScopes = profile.GoogleScopes is { } scopes ? [.. scopes] : null,
            GoogleSubject = profile.GoogleSubject,
            Status = AgentStatus.Active,
            CreatedAt = now,
            LastActiveAt = now,
            // A re-created agent continues the numbering of its changes, so that live views never see a number again.
            Version = State?.Version ?? 0,
        };
        State.Changed(AgentChangeKinds.Agent);
    }

    public void SetTokenHash(string? tokenHash)
    {
        var state = Require();
        state.TokenHash = tokenHash;
        state.Changed(AgentChangeKinds.Access);
    }

    public void SetGoogleCredential(string sealedRefreshToken)
    {
        var state = Require();
        state.SealedGoogleRefreshToken = sealedRefreshToken;
        state.Changed(AgentChangeKinds.Agent);
    }

    /// <summary>Sets whether turns other agents start may read the company's Notion and Attio for this person.</summary>
    public void SetCompanyToolsForAgents(bool allowed)
    {
        var state = Require();
        state.CompanyToolsForAgents = allowed;
        state.Changed(AgentChangeKinds.Agent);
    }

    /// <summary>Sets the person's notification choices (channels and reminders).</summary>
    public void SetNotifications(Orchestrations.Notifications.NotificationSettings settings)
    {
        var state = Require();
        state.Notifications = settings;
        state.Changed(AgentChangeKinds.Agent);
    }

    /// <summary>Puts the same credential sealed under a new master key in place, unless it was replaced meanwhile.</summary>
    public void ResealGoogleCredential(CredentialReseal reseal)
    {
        var state = Require();
        if (string.Equals(state.SealedGoogleRefreshToken, reseal.Previous, StringComparison.Ordinal))
        {
            state.SealedGoogleRefreshToken = reseal.Current;
        }
    }

    /// <summary>Connects a Google account (the orchestrator's is the one that sends invites).</summary>
    public void ConnectGoogle(GoogleConnection connection)
    {
        var state = Require();
        state.SealedGoogleRefreshToken = connection.SealedRefreshToken;
        state.GoogleAccessLostAt = null;
        if (string.IsNullOrEmpty(state.Email) || state.AgentId == "orchestrator")
        {
            state.Email = connection.Email;
        }

        state.Changed(AgentChangeKinds.Agent);
    }

    /// <summary>
    /// Replaces the person's Google credential after a reconnect (same account, checked by the caller): the new sealed
    /// refresh token and granted scopes, and Google access is no longer marked lost.
    /// </summary>
    public void ReconnectGoogle(GoogleReconnection reconnection)
    {
        var state = Require();
        state.SealedGoogleRefreshToken = reconnection.SealedRefreshToken;
        state.GoogleScopes = [.. reconnection.Scopes];
        state.GoogleSubject = reconnection.Subject ?? state.GoogleSubject;
        state.GoogleAccessLostAt = null;
        state.Changed(AgentChangeKinds.Agent);
    }

    /// <summary>Marks Google access lost, unless the refused credential was replaced meanwhile (a reconnect won the race).</summary>
    public void MarkGoogleAccessLost(GoogleAccessLoss loss)
    {
        var state = Require();
        if (state.GoogleAccessLostAt is null && string.Equals(state.SealedGoogleRefreshToken, loss.SealedRefreshToken, StringComparison.Ordinal))
        {
            state.GoogleAccessLostAt = loss.At;
            state.Changed(AgentChangeKinds.Agent);
        }
    }

    /// <summary>Disables the agent and drops its token; returns its pending proposals, read in the same operation, for the caller to cancel.</summary>
    public List<string> Disable()
    {
        var state = Require();
        state.Status = AgentStatus.Disabled;
        state.TokenHash = null;
        state.Changed(AgentChangeKinds.Agent);
        state.Changed(AgentChangeKinds.Access);
        return state.Proposals.Where(p => p.Status is "pending" or "held").Select(p => p.ProposalId).ToList();
    }

    public void Touch(DateTimeOffset at)
    {
        var state = Require();
        if (at > state.LastActiveAt)
        {
            state.LastActiveAt = at;
        }
    }

    public void AddInbox(InboxMessage message)
    {
        var state = Require();
        if (state.Inbox.Any(m => m.Id == message.Id))
        {
            return;
        }

        state.Inbox.Add(message);
        state.Changed(AgentChangeKinds.Inbox, message.Id);
        if (state.Inbox.Count > AgentState.MaxInbox)
        {
            state.Inbox.RemoveRange(0, state.Inbox.Count - AgentState.MaxInbox);
        }
    }

    /// <summary>Appends conversation messages; returns them with their sequence numbers. The oldest beyond the bound are dropped here (the archive keeps them).</summary>
    public List<ConversationMessage> AppendConversation(List<ConversationMessage> messages)
    {
        var state = Require();
        var added = new List<ConversationMessage>(messages.Count);
        foreach (var m in messages)
        {
            var stored = m with { Seq = state.NextSeq++ };
            state.Conversation.Add(stored);
            added.Add(stored);
            state.Changed(AgentChangeKinds.Message, stored.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (state.Conversation.Count > AgentState.MaxConversation)
        {
            state.Conversation.RemoveRange(0, state.Conversation.Count - AgentState.MaxConversation);
        }

        state.LastActiveAt = DateTimeOffset.UtcNow;
        return added;
    }

    /// <summary>Marks a turn as running (the dashboard shows "working…") and appends its incoming message.</summary>
    public List<ConversationMessage> BeginTurn(ConversationMessage message)
    {
        var state = Require();
        state.WorkingTurnId = message.TurnId;
        state.Changed(AgentChangeKinds.Agent);
        return AppendConversation([message]);
    }

    /// <summary>Appends a turn's reply and clears the running mark.</summary>
    public List<ConversationMessage> EndTurn(ConversationMessage message)
    {
        var state = Require();
        var added = AppendConversation([message]);
        if (state.WorkingTurnId == message.TurnId)
        {
            state.WorkingTurnId = null;
            state.Changed(AgentChangeKinds.Agent);
        }

        return added;
    }

    public void UpsertProposal(ProposalSummary summary)
    {
        var state = Require();
        var index = state.Proposals.FindIndex(p => p.ProposalId == summary.ProposalId);
        TellNotifier(index >= 0 ? state.Proposals[index].Status : null, summary);
        if (index >= 0)
        {
            state.Proposals[index] = summary;
        }
        else
        {
            state.Proposals.Add(summary);
        }

        state.Changed(AgentChangeKinds.Proposal, summary.ProposalId);

        // Keep every pending proposal and the most recent decided ones.
        var decided = state.Proposals.Where(p => p.Status != "pending").ToList();
        if (decided.Count > AgentState.MaxDecidedProposals)
        {
            foreach (var old in decided.OrderBy(p => p.DecidedAt ?? p.CreatedAt).Take(decided.Count - AgentState.MaxDecidedProposals))
            {
                state.Proposals.Remove(old);
            }
        }
    }

    /// <summary>
    /// Tells the person's notifier (<see cref="NotifierEntity"/>) what changed for them: a proposal that starts waiting, a
    /// waiting one that expired (the final notice), or one that was decided (no more reminders). Here, from the summaries
    /// every approval orchestration already sends, rather than from the orchestration itself: its history stays as it was.
    /// </summary>
    private void TellNotifier(string? before, ProposalSummary summary)
    {
        if (summary.ExpiresAt is not { } expires)
        {
            return; // a summary from before notifications: never announced, nothing to tell
        }

        var notifier = NotifierEntity.Id(Context.Id.Key);
        var notice = new Orchestrations.Notifications.ProposalNotice(summary.ProposalId, summary.Type, summary.Title, expires);
        if (summary.Status == Orchestrations.Approvals.ProposalStatus.Pending)
        {
            if (before is null)
            {
                Context.SignalEntity(notifier, nameof(NotifierEntity.Waiting), notice);
            }
        }
        else if (before == Orchestrations.Approvals.ProposalStatus.Pending)
        {
            if (summary.Status == Orchestrations.Approvals.ProposalStatus.Expired)
            {
                Context.SignalEntity(notifier, nameof(NotifierEntity.Expired), notice);
            }
            else
            {
                Context.SignalEntity(notifier, nameof(NotifierEntity.Forget), new List<string> { summary.ProposalId });
            }
        }
    }

    /// <summary>Adds a grant (its id fresh), keeping at most <see cref="GrantRules.MaxActiveGrants"/> active and as many ended ones.</summary>
    public void AddGrant(StandingGrant grant)
    {
        var state = Require();
        if (state.Grants.Any(g => g.GrantId == grant.GrantId))
        {
            return;
        }

        if (state.Grants.Count(g => g.IsActive(grant.CreatedAt)) >= GrantRules.MaxActiveGrants)
        {
            throw new InvalidOperationException($"An agent has at most {GrantRules.MaxActiveGrants} active grants.");
        }

        state.Grants.Add(grant);
        state.Changed(AgentChangeKinds.Grant, grant.GrantId);
        var ended = state.Grants.Where(g => !g.IsActive(grant.CreatedAt)).OrderBy(g => g.RevokedAt ?? g.ExpiresAt).ToList();
        foreach (var old in ended.Take(Math.Max(0, ended.Count - GrantRules.MaxActiveGrants)))
        {
            state.Grants.Remove(old);
        }
    }

    /// <summary>
    /// Revokes a grant; returns the proposals held under it (in their undo window) for the caller to cancel, or null when
    /// there is no such grant. A revoked grant covers nothing from now on: <see cref="SettleGrant"/> refuses it too.
    /// </summary>
    public List<string>? RevokeGrant(GrantRevocation revocation)
    {
        var state = Require();
        var grant = state.Grants.FirstOrDefault(g => g.GrantId == revocation.GrantId);
        if (grant is null)
        {
            return null;
        }

        if (grant.RevokedAt is null)
        {
            grant.RevokedAt = revocation.At;
            grant.RevokedBy = revocation.By;
            state.Changed(AgentChangeKinds.Grant, grant.GrantId);
        }

        return [.. grant.Held];
    }

    /// <summary>
    /// Finds an active grant that covers the proposal and takes one of its day's count in the same operation (operations
    /// are serial, so parallel proposals never overshoot). Otherwise says which bound the proposal crossed (null when the
    /// agent has no active grant of the type).
    /// </summary>
    public GrantClaimResult ClaimGrant(GrantClaim claim)
    {
        var state = Require();
        var grants = state.Grants.Where(g => g.Type == claim.Type && g.IsActive(claim.At)).ToList();
        if (grants.Count == 0 || state.Status != AgentStatus.Active)
        {
            return new GrantClaimResult(null, null);
        }

        if (claim.Ceiling is { Allowed: false })
        {
            return new GrantClaimResult(null, $"the company allows no grant for {claim.Type} now.");
        }

        string? crossed = null;
        var day = claim.At.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var grant in grants)
        {
            if (GrantRules.WhyOutside(claim.Type, grant.Bounds, claim.Payload, isCeiling: false) is { } outside)
            {
                crossed ??= $"outside grant {grant.GrantId}: {outside}";
                continue;
            }

            if (claim.Ceiling is { } ceiling && GrantRules.WhyOutside(claim.Type, ceiling.Bounds, claim.Payload, isCeiling: true) is { } overCeiling)
            {
                crossed ??= $"grant {grant.GrantId} is capped by the company's ceiling: {overCeiling}";
                continue;
            }

            var limit = Math.Min(grant.MaxPerDay, claim.Ceiling?.MaxPerDay ?? int.MaxValue);
            if (grant.Day != day)
            {
                grant.Day = day;
                grant.UsedToday = 0;
            }

            if (grant.UsedToday >= limit)
            {
                crossed ??= $"grant {grant.GrantId} covers {limit} a day, and today's are used up.";
                continue;
            }

            grant.UsedToday++;
            grant.Uses++;
            if (claim.Hold)
            {
                grant.Held.Add(claim.ProposalId);
            }

            state.Changed(AgentChangeKinds.Grant, grant.GrantId);

            return new GrantClaimResult(grant.GrantId, null);
        }

        return new GrantClaimResult(null, crossed);
    }

    /// <summary>
    /// Ends a held proposal's undo window; returns whether it may run now: the grant still active, still covering the
    /// proposal (an edit may have narrowed its bounds since the claim), and the agent active.
    /// </summary>
    public bool SettleGrant(GrantSettlement settlement)
    {
        var state = Require();
        var grant = state.Grants.FirstOrDefault(g => g.GrantId == settlement.GrantId);
        if (grant?.Held.Remove(settlement.ProposalId) == true)
        {
            state.Changed(AgentChangeKinds.Grant, grant.GrantId);
        }

        return settlement.Run && grant is not null && grant.IsActive(settlement.At) && state.Status == AgentStatus.Active
            && (settlement.Type is null || settlement.Payload is null || GrantRules.WhyOutside(settlement.Type, grant.Bounds, settlement.Payload, isCeiling: false) is null);
    }

    /// <summary>
    /// Changes an active grant's bounds, count per day and expiry (the caller validated them); returns the proposals it
    /// holds in their undo window, for the caller to cancel those the narrowed grant no longer covers.
    /// </summary>
    public GrantEditResult EditGrant(GrantEdit edit)
    {
        var state = Require();
        var grant = state.Grants.FirstOrDefault(g => g.GrantId == edit.GrantId);
        if (grant is null || !grant.IsActive(edit.At))
        {
            return new GrantEditResult(grant is not null, false, grant, []);
        }

        grant.Bounds = edit.Bounds;
        grant.MaxPerDay = edit.MaxPerDay;
        grant.ExpiresAt = edit.ExpiresAt;
        grant.EditedAt = edit.At;
        grant.EditedBy = edit.By;
        state.Changed(AgentChangeKinds.Grant, grant.GrantId);
        return new GrantEditResult(true, true, grant, [.. grant.Held]);
    }

    /// <summary>Keeps a fact in the agent's memory; returns why not (the memory is full) or null. A repeated id is kept once.</summary>
    public string? Remember(MemoryFact fact)
    {
        var state = Require();
        if (state.Memory.Any(m => m.Id == fact.Id))
        {
            return null;
        }

        if (state.Memory.Count >= AgentState.MaxMemory)
        {
            return $"the memory is full ({AgentState.MaxMemory} facts): ask {state.Name} to delete some on their dashboard.";
        }

        state.Memory.Add(fact);
        state.Changed(AgentChangeKinds.Memory, fact.Id);
        return null;
    }

    /// <summary>Deletes a remembered fact; returns whether it was there.</summary>
    public bool Forget(string factId)
    {
        var state = Require();
        if (state.Memory.RemoveAll(m => m.Id == factId) == 0)
        {
            return false;
        }

        state.Changed(AgentChangeKinds.Memory, factId);
        return true;
    }

    /// <summary>Counts a hand approval of a proposal with this key; returns true exactly when it is the third (the agent then suggests a grant once).</summary>
    public bool NoteApproval(string key)
    {
        var streaks = Require().ApprovalStreaks;
        var count = streaks.GetValueOrDefault(key) + 1;
        streaks[key] = count;
        if (streaks.Count > 200)
        {
            foreach (var old in streaks.Keys.Where(k => k != key).Take(streaks.Count - 200).ToList())
            {
                streaks.Remove(old);
            }
        }

        return count == 3;
    }

    private AgentState Require() => State ?? throw new InvalidOperationException("The agent does not exist.");
}
