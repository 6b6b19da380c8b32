using System.Text.Json.Nodes;
using CompanyHub.Entities;
using CompanyHub.Activities;
using CompanyHub.Orchestrations.Agents;
using Microsoft.DurableTask;

namespace CompanyHub.Orchestrations.Approvals;

/// <summary>
/// One proposal (instance id = proposal id): shows the card, waits for its person's decision (approve, edit → new
/// revision, reject, or expiry), and on approval runs the action once, retrying transient failures on durable timers
/// (honouring Retry-After). The agent entity and the audit log are told of every change.
/// </summary>
public sealed class ApprovalOrchestration : TaskOrchestrator<ProposalRequest, ProposalView>
{
    public const int MaxAttempts = 5;

    public override async Task<ProposalView> RunAsync(TaskOrchestrationContext context, ProposalRequest input)
    {
        var now = new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero);
        var view = new ProposalView
        {
            ProposalId = input.ProposalId,
            AgentId = input.AgentId,
            Type = input.Type,
            Status = ProposalStatus.Pending,
            Revision = 1,
            Payload = input.Payload,
            Card = ProposalCard.Render(input.Type, input.Payload, input.AgentEmail, 1),
            ProposedBy = input.ProposedBy,
            CreatedAt = now,
            ExpiresAt = input.ExpiresAt,
        };
        view = await PublishAsync(context, view, $"proposal created ({input.Type})", "created");
        if (input.GrantsApply && Entities.GrantRules.Types.Contains(input.Type))
        {
            var check = await context.CallActivityAsync<GrantCheck?>(PrepareGrantCheck.Name, new GrantCheckRequest(input.AgentId, input.Type));
            if (check is not null)
            {
                var undo = Entities.GrantRules.HasUndoWindow(input.Type) ? TimeSpan.FromSeconds(check.UndoSeconds) : TimeSpan.Zero;
                var claim = await context.Entities.CallEntityAsync<GrantClaimResult>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.ClaimGrant),
                    new GrantClaim(input.ProposalId, input.Type, input.Payload, Now(context), check.Ceiling, Hold: undo > TimeSpan.Zero));
                if (claim.GrantId is { } grantId)
                {
                    return await RunUnderGrantAsync(context, input, view, grantId, undo, TimeSpan.FromSeconds(check.InverseSeconds));
                }

                if (claim.Crossed is { } crossed)
                {
                    view = await PublishAsync(context, view with { GrantNote = crossed }, $"proposal waits for a decision: {crossed}", "outside-grant");
                }
            }
        }

        await OfferOnChannelsAsync(context, view);
        while (view.Status == ProposalStatus.Pending)
        {
            var remaining = input.ExpiresAt - new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero);
            ApprovalDecision decision;
            try
            {
                decision = remaining <= TimeSpan.Zero
                    ? throw new TaskCanceledException()
                    : await context.WaitForExternalEvent<ApprovalDecision>(ApprovalDecision.EventName, remaining);
            }
            catch (TaskCanceledException)
            {
                // The SDK's timed wait ends by cancelling when its timer fires before the event arrives.
                view = await PublishAsync(context, view with { Status = ProposalStatus.Expired, DecidedAt = Now(context) }, "proposal expired", "expired");
                break;
            }

            if (decision.Revision is { } seen && seen != view.Revision)
            {
                // Decided on a revision that an edit has replaced: nobody has approved what the proposal says now.
                continue;
            }

            switch (decision.Decision)
            {
                case ApprovalDecision.Approve:
                    view = await ExecuteAsync(context, input, view with { DecidedAt = Now(context), DecidedBy = decision.DecidedBy, DecisionId = decision.DecisionId }, "proposal approved", "approved");
                    if (view.Status == ProposalStatus.Succeeded)
                    {
                        await SuggestGrantAsync(context, input, view);
                    }

                    break;
                case ApprovalDecision.Edit when decision.Changes is { Count: > 0 } changes:
                    var edited = ProposalValidator.ApplyChanges(view.Payload, changes);
                    if (ProposalValidator.Validate(view.Type, edited).Count > 0)
                    {
                        // The HTTP API validates edits before raising them; a bad edit from elsewhere is ignored, not applied.
                        continue;
                    }

                    var revision = view.Revision + 1;
                    view = await PublishAsync(context, view with
                    {
                        Payload = edited,
                        Revision = revision,
                        Card = ProposalCard.Render(view.Type, edited, input.AgentEmail, revision),
                        Revisions = [.. view.Revisions, new ProposalRevision(view.Revision, view.Payload, decision.DecidedBy, Now(context))],
                        DecisionId = decision.DecisionId,
                    }, $"proposal edited (revision {revision})", "edited");
                    await OfferOnChannelsAsync(context, view);
                    break;
                case ApprovalDecision.Reject:
                    view = await PublishAsync(context, view with { Status = ProposalStatus.Rejected, DecidedAt = Now(context), DecidedBy = decision.DecidedBy, Reason = decision.Reason, DecisionId = decision.DecisionId }, "proposal rejected", "rejected");
                    break;
                case ApprovalDecision.Cancel:
                    view = await PublishAsync(context, view with { Status = ProposalStatus.Cancelled, DecidedAt = Now(context), DecidedBy = decision.DecidedBy, Reason = decision.Reason, DecisionId = decision.DecisionId }, "proposal cancelled", "cancelled");
                    break;
                default:
                    break;
            }
        }

        return view;
    }

    /// <summary>
    /// A proposal a standing grant covers (its count already taken): it runs at once, audited with the grant's id. An
    /// email is first held for the undo window: an undo (or the grant's revocation, which cancels what it holds)
    /// cancels it, and at the window's end the grant must still be active — in one entity operation — for it to run.
    /// </summary>
    /// <remarks>
    /// A Notion or Attio change is then offered with its inverse for <paramref name="inverseWindow"/> (see <see cref="OfferInverseAsync"/>).
    /// </remarks>
    private static async Task<ProposalView> RunUnderGrantAsync(TaskOrchestrationContext context, ProposalRequest input, ProposalView view, string grantId, TimeSpan undo, TimeSpan inverseWindow)
    {
        view = view with { Grant = grantId, DecidedAt = Now(context), DecidedBy = $"grant:{grantId}" };
        if (undo > TimeSpan.Zero)
        {
            var until = Now(context) + undo;
            view = await PublishAsync(context, view with { Status = ProposalStatus.Held, HeldUntil = until },
                $"proposal auto-approved under grant {grantId}; held for undo until {until:u}", "held");
            // Other decisions (an approval raced with the grant) change nothing here; the wait goes on until the window ends.
            for (var remaining = until - Now(context); remaining > TimeSpan.Zero; remaining = until - Now(context))
            {
                ApprovalDecision decision;
                try
                {
                    decision = await context.WaitForExternalEvent<ApprovalDecision>(ApprovalDecision.EventName, remaining);
                }
                catch (TaskCanceledException)
                {
                    break;
                }

                if (decision.Decision is ApprovalDecision.Cancel or ApprovalDecision.Reject)
                {
                    await context.Entities.CallEntityAsync<bool>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.SettleGrant), new GrantSettlement(grantId, input.ProposalId, Run: false, Now(context)) { Type = input.Type, Payload = input.Payload });
                    return await PublishAsync(context, view with { Status = ProposalStatus.Cancelled, HeldUntil = null, DecidedBy = decision.DecidedBy, DecisionId = decision.DecisionId, Reason = decision.Reason },
                        $"proposal cancelled in its undo window (grant {grantId}): {decision.Reason}", "cancelled");
                }
            }

            if (!await context.Entities.CallEntityAsync<bool>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.SettleGrant), new GrantSettlement(grantId, input.ProposalId, Run: true, Now(context)) { Type = input.Type, Payload = input.Payload }))
            {
                var reason = $"grant {grantId} was revoked, expired or narrowed before the action ran";
                return await PublishAsync(context, view with { Status = ProposalStatus.Cancelled, HeldUntil = null, Reason = reason }, $"proposal cancelled: {reason}", "cancelled");
            }

            view = view with { HeldUntil = null };
        }

        view = await ExecuteAsync(context, input, view, $"proposal auto-approved under grant {grantId}", "auto-approved", inverseWindow);
        return view.Inverse is { Status: ProposalInverse.Available } ? await OfferInverseAsync(context, input, view, grantId) : view;
    }

    /// <summary>
    /// A change that ran under a grant, with an inverse: the proposal (succeeded) waits until the inverse's window ends for
    /// its person to apply it. Applying is their action, run once like any action (retries included) and audited as the
    /// inverse of this proposal under the grant; a second request finds it applying or applied.
    /// </summary>
    private static async Task<ProposalView> OfferInverseAsync(TaskOrchestrationContext context, ProposalRequest input, ProposalView view, string grantId)
    {
        var inverse = view.Inverse!;
        var why = "its window ended";
        for (var remaining = inverse.Until!.Value - Now(context); remaining > TimeSpan.Zero; remaining = inverse.Until.Value - Now(context))
        {
            ApprovalDecision decision;
            try
            {
                decision = await context.WaitForExternalEvent<ApprovalDecision>(ApprovalDecision.EventName, remaining);
            }
            catch (TaskCanceledException)
            {
                break;
            }

            if (decision.Decision != ApprovalDecision.Inverse)
            {
                continue;
            }

            var agent = await context.Entities.CallEntityAsync<AgentState?>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.Get));
            if (agent is not { Status: AgentStatus.Active })
            {
                why = "the agent was offboarded";
                break;
            }

            var by = decision.DecidedBy ?? "system";
            var what = $"inverse of proposal {view.ProposalId} under grant {grantId}";
            view = await PublishAsync(context, view with { Inverse = inverse with { Status = ProposalInverse.Applying, AppliedBy = by, AppliedAt = Now(context) }, DecisionId = decision.DecisionId },
                $"{what} requested: {inverse.Description}", "inverse-requested", by);
            var (result, _) = await RunActionAsync(context, new ActionRequest(view.ProposalId, view.Revision, input.AgentId, input.AgentEmail, inverse.Action, inverse.Payload, $"{view.ProposalId}:inverse"));
            return result.Succeeded
                ? await PublishAsync(context, view with { Inverse = view.Inverse! with { Status = ProposalInverse.Applied, Result = result.Result } }, $"{what} applied: {result.Result}", "inverse-applied", by)
                : await PublishAsync(context, view with { Inverse = view.Inverse! with { Status = ProposalInverse.Failed, Error = result.Error } }, $"{what} failed: {result.Error}", "inverse-failed", by);
        }

        return await PublishAsync(context, view with { Inverse = inverse with { Status = ProposalInverse.Closed } }, $"inverse of proposal {view.ProposalId} no longer offered: {why}", "inverse-closed", "system");
    }

    /// <summary>
    /// After the third hand approval of near-identical proposals, the agent suggests a grant that would cover them: a
    /// <c>grant</c> proposal its person decides on like any other (the agent never grants itself anything).
    /// </summary>
    private static async Task SuggestGrantAsync(TaskOrchestrationContext context, ProposalRequest input, ProposalView view)
    {
        if (!input.GrantsApply || view.Grant is not null || input.ProposedBy.Kind is not ("agent" or "user")
            || !Entities.GrantRules.Types.Contains(view.Type) || Entities.GrantRules.Suggest(view.Type, view.Payload) is not { } suggestion)
        {
            return;
        }

        if (!await context.Entities.CallEntityAsync<bool>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.NoteApproval), suggestion.Key))
        {
            return;
        }

        var payload = new JsonObject
        {
            ["type"] = view.Type,
            ["bounds"] = Entities.GrantRules.ToJson(suggestion.Bounds),
            ["maxPerDay"] = 5,
            ["expiresInDays"] = Entities.GrantRules.DefaultDays,
        };
        var proposalId = $"p-{context.NewGuid():N}";
        await context.CallActivityAsync<ProposalCreation>(CreateProposal.Name,
            new ProposalRequest(proposalId, input.AgentId, input.AgentEmail, ProposalTypes.Grant, payload, ProposedBy.Agent(input.AgentId), ExpiresAt: default));
    }

    /// <param name="inverseWindow">Under a grant: how long the change's inverse is offered (the runner works it out); null otherwise.</param>
    private static async Task<ProposalView> ExecuteAsync(TaskOrchestrationContext context, ProposalRequest input, ProposalView view, string approvedText, string approvedOutcome, TimeSpan? inverseWindow = null)
    {
        // An offboarded agent's proposals never run, even when a decision raced with the offboarding.
        var agent = await context.Entities.CallEntityAsync<AgentState?>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.Get));
        if (agent is { Status: AgentStatus.Disabled })
        {
            return await PublishAsync(context, view with { Status = ProposalStatus.Cancelled, Reason = "the agent was offboarded" }, "proposal cancelled: the agent was offboarded", "cancelled");
        }

        view = await PublishAsync(context, view with { Status = ProposalStatus.Executing }, approvedText, approvedOutcome);
        if (view.Type == ProposalTypes.Grant)
        {
            return await GrantAsync(context, input, view);
        }

        if (view.Type == ProposalTypes.MessageAgent)
        {
            return await DeliverAsync(context, input, view);
        }

        if (view.Type == ProposalTypes.ReplyAgent)
        {
            return await DeliverReplyAsync(context, input, view);
        }

        if (view.Type == ProposalTypes.StartOnboarding)
        {
            var started = await context.CallActivityAsync<string>(StartOnboardingFromProposal.Name, new OnboardingFromProposal(view.ProposalId, ProposalValidator.Text(view.Payload, "email")!, ProposalValidator.Text(view.Payload, "name")!));
            return await PublishAsync(context, view with { Status = ProposalStatus.Succeeded, Result = $"onboarding {started} started", Attempts = 1 }, $"onboarding {started} started", "succeeded");
        }

        if (view.Type == ProposalTypes.Broadcast)
        {
            var count = await context.CallSubOrchestratorAsync<int>(nameof(BroadcastOrchestration), new BroadcastRequest(ProposalValidator.Text(view.Payload, "text")!, input.AgentId), new SubOrchestrationOptions(instanceId: $"broadcast-{view.ProposalId}"));
            return await PublishAsync(context, view with { Status = ProposalStatus.Succeeded, Result = $"sent to {count} agents", Attempts = 1 }, $"broadcast sent to {count} agents", "succeeded");
        }

        var request = new ActionRequest(view.ProposalId, view.Revision, input.AgentId, input.AgentEmail, view.Type, view.Payload, $"{view.ProposalId}:{view.Revision}")
        {
            CaptureInverse = inverseWindow is not null,
        };
        var (result, attempts) = await RunActionAsync(context, request);
        var inverse = result.Inverse is not { Status: ProposalInverse.Available } || inverseWindow is not { } window ? result.Inverse
            : window > TimeSpan.Zero ? result.Inverse with { Until = Now(context) + window }
            : null; // a history from before inverses: none is offered
        return result.Succeeded
            ? await PublishAsync(context, view with { Status = ProposalStatus.Succeeded, Result = result.Result, Attempts = attempts, Inverse = inverse }, $"action done: {result.Result}", "succeeded")
            : await PublishAsync(context, view with { Status = ProposalStatus.Failed, Error = result.Error, Attempts = attempts }, $"action failed: {result.Error}", "failed");
    }

    /// <summary>Runs an action once, retrying transient failures on durable timers (honouring Retry-After); returns its result and the attempts made.</summary>
    private static async Task<(ActionResult Result, int Attempts)> RunActionAsync(TaskOrchestrationContext context, ActionRequest request)
    {
        ActionResult result = new(false, Error: "not attempted");
        var attempts = 0;
        for (attempts = 1; attempts <= MaxAttempts; attempts++)
        {
            try
            {
                result = await context.CallActivityAsync<ActionResult>(ExecuteProposalAction.Name, request);
            }
            catch (TaskFailedException ex)
            {
                // A bug or an input the tool's client refuses: not worth retrying, and the proposal must not stay "executing".
                result = new ActionResult(false, Error: ex.FailureDetails.ErrorMessage);
            }

            if (result.Succeeded || !result.Transient || attempts == MaxAttempts)
            {
                break;
            }

            await context.CreateTimer(RetryDelays.After(attempts, result.RetryAfterSeconds), CancellationToken.None);
        }

        return (result, attempts);
    }

    /// <summary>An approved grant proposal: the grant joins the person's grants (as if they had created it on their dashboard).</summary>
    private static async Task<ProposalView> GrantAsync(TaskOrchestrationContext context, ProposalRequest input, ProposalView view)
    {
        var errors = new Dictionary<string, string[]>();
        var type = ProposalValidator.Text(view.Payload, "type")!;
        var bounds = Entities.GrantRules.Validate(type, view.Payload["bounds"] as JsonObject, ProposalValidator.Int(view.Payload, "maxPerDay"), ProposalValidator.Int(view.Payload, "expiresInDays"), errors);
        var ceiling = (await context.Entities.CallEntityAsync<GrantPolicyState>(GrantPolicyEntity.Id, nameof(GrantPolicyEntity.Get)))?.Ceilings.GetValueOrDefault(type);
        var maxPerDay = ProposalValidator.Int(view.Payload, "maxPerDay") ?? 0;
        var refused = errors.Count > 0 ? string.Join(" ", errors.SelectMany(e => e.Value)) : ceiling is null ? null : Entities.GrantRules.WhyOverCeiling(ceiling, bounds, maxPerDay);
        if (refused is not null)
        {
            return await PublishAsync(context, view with { Status = ProposalStatus.Failed, Error = refused, Attempts = 1 }, $"grant refused: {refused}", "failed");
        }

        var grantId = $"g-{context.NewGuid():N}"[..14];
        var now = Now(context);
        await context.Entities.CallEntityAsync(AgentEntity.Id(input.AgentId), nameof(AgentEntity.AddGrant), new StandingGrant
        {
            GrantId = grantId,
            Type = type,
            Bounds = bounds,
            MaxPerDay = maxPerDay,
            CreatedAt = now,
            CreatedBy = view.DecidedBy ?? $"user:{input.AgentId}",
            ExpiresAt = now.AddDays(ProposalValidator.Int(view.Payload, "expiresInDays") ?? Entities.GrantRules.DefaultDays),
        });
        await context.CallActivityAsync<bool>(RecordAudit.Name, new Security.AuditRecord(now, view.DecidedBy ?? "system", "grant.created", input.AgentId, grantId,
            $"grant {grantId} for {type} created from proposal {view.ProposalId}", Address: null, Outcome: "ok"));
        return await PublishAsync(context, view with { Status = ProposalStatus.Succeeded, Result = $"grant {grantId} created", Attempts = 1 }, $"grant {grantId} created", "succeeded");
    }

    private static async Task<ProposalView> DeliverAsync(TaskOrchestrationContext context, ProposalRequest input, ProposalView view)
    {
        var (target, text, failed) = await ToInboxAsync(context, input, view, "message", inReplyTo: null);
        if (failed is not null)
        {
            return failed;
        }

        // The peer's agent thinks about the message with its own tools; its answer comes back to the sender.
        // Only the hub writes hops (an agent's message_agent); whatever the payload says, it stays within the limit.
        var hops = Math.Clamp(view.Payload["hops"] is JsonValue h && h.TryGetValue<int>(out var n) ? n : 1, 1, AgentTurnOrchestration.MaxHops);
        var mailbox = await context.CallActivityAsync<string>(EnsureMailbox.Name, target);
        context.SendEvent(mailbox, AgentMailboxOrchestration.TurnEvent,
            new TurnRequest($"{view.ProposalId}-reply", target, text, TurnSource.Peer, input.AgentId, view.ProposalId, hops));
        return await PublishAsync(context, view with { Status = ProposalStatus.Succeeded, Result = $"delivered to {target}", Attempts = 1 }, $"message delivered to {target}", "succeeded");
    }

    /// <summary>An approved answer to another agent: its inbox and its conversation receive it; no turn starts there.</summary>
    private static async Task<ProposalView> DeliverReplyAsync(TaskOrchestrationContext context, ProposalRequest input, ProposalView view)
    {
        var (target, text, failed) = await ToInboxAsync(context, input, view, "reply", ProposalValidator.Text(view.Payload, "replyTo"));
        if (failed is not null)
        {
            return failed;
        }

        var note = await context.Entities.CallEntityAsync<List<ConversationMessage>>(AgentEntity.Id(target), nameof(AgentEntity.AppendConversation),
            new List<ConversationMessage> { new(0, "peer", $"{input.AgentId} replied: {text}", Now(context), view.ProposalId) });
        await context.CallActivityAsync<int>(ArchiveConversation.Name, new ArchiveRequest(target, note));
        return await PublishAsync(context, view with { Status = ProposalStatus.Succeeded, Result = $"reply delivered to {target}", Attempts = 1 }, $"reply delivered to {target}", "succeeded");
    }

    /// <summary>
    /// Puts the proposal's text (a message or a reply) into the inbox of the agent its payload names, under the
    /// proposal's id (one message per proposal). When that agent is not active, the proposal fails instead: Failed is its view.
    /// </summary>
    private static async Task<(string Target, string Text, ProposalView? Failed)> ToInboxAsync(TaskOrchestrationContext context, ProposalRequest input, ProposalView view, string what, string? inReplyTo)
    {
        var target = ProposalValidator.Text(view.Payload, "agentId")!;
        var text = ProposalValidator.Text(view.Payload, "text")!;
        var recipient = await context.Entities.CallEntityAsync<AgentState?>(AgentEntity.Id(target), nameof(AgentEntity.Get));
        if (recipient is not { Status: AgentStatus.Active })
        {
            var error = $"There is no active agent '{target}' to deliver the {what} to.";
            return (target, text, await PublishAsync(context, view with { Status = ProposalStatus.Failed, Error = error, Attempts = 1 }, $"action failed: {error}", "failed"));
        }

        await context.Entities.SignalEntityAsync(AgentEntity.Id(target), nameof(AgentEntity.AddInbox), new InboxMessage(view.ProposalId, input.AgentId, text, Now(context), inReplyTo));
        return (target, text, null);
    }

    /// <summary>
    /// The proposal waits for a decision on this revision: it goes to its person's linked chat channel (Telegram), with
    /// buttons for this revision. The one place a waiting proposal reaches a channel; a channel that fails leaves the
    /// card on the dashboard and the proposal as it is.
    /// </summary>
    private static async Task OfferOnChannelsAsync(TaskOrchestrationContext context, ProposalView view)
    {
        if (!HubVersions.HasChannels(context))
        {
            return; // a proposal that started waiting before this release replays as it ran then
        }

        try
        {
            await context.CallActivityAsync<bool>(OfferProposalOnTelegram.Name, view);
        }
        catch (TaskFailedException)
        {
            // The dashboard still shows the card.
        }
    }

    /// <param name="actor">Who the audit names; by default the decider, or whoever proposed a pending proposal.</param>
    private static async Task<ProposalView> PublishAsync(TaskOrchestrationContext context, ProposalView view, string auditText, string outcome, string? actor = null)
    {
        if (!context.IsReplaying)
        {
            // Counted once, when the step first runs (a replay passes here again).
            Integrations.HubMetrics.ApprovalStep(view.Type, outcome);
        }

        context.SetCustomStatus(view);
        await context.Entities.SignalEntityAsync(AgentEntity.Id(view.AgentId), nameof(AgentEntity.UpsertProposal),
            new ProposalSummary(view.ProposalId, view.Type, view.Status, view.Title, view.CreatedAt, view.DecidedAt, view.Result ?? view.Error, view.Revision, view.ExpiresAt) { Inverse = view.Inverse?.Status });
        await context.CallActivityAsync<bool>(RecordAudit.Name, new Security.AuditRecord(
            Now(context), actor ?? view.DecidedBy ?? (view.Status == ProposalStatus.Pending ? Actor(view.ProposedBy, view.AgentId) : "system"),
            $"proposal.{outcome}", view.AgentId, view.ProposalId, auditText, Address: null, Outcome: outcome));
        return view;
    }

    private static string Actor(ProposedBy by, string agentId) => by.Kind switch
    {
        "user" => $"user:{agentId}",
        "peer" => $"agent:{by.AgentId}",
        "anonymous" => "anonymous",
        _ => $"agent:{agentId}",
    };

    private static DateTimeOffset Now(TaskOrchestrationContext context) => new(context.CurrentUtcDateTime, TimeSpan.Zero);
}
