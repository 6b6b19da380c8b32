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
                    view = await ExecuteAsync(context, input, view with { DecidedAt = Now(context), DecidedBy = decision.DecidedBy, DecisionId = decision.DecisionId });
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

    private static async Task<ProposalView> ExecuteAsync(TaskOrchestrationContext context, ProposalRequest input, ProposalView view)
    {
        // An offboarded agent's proposals never run, even when a decision raced with the offboarding.
        var agent = await context.Entities.CallEntityAsync<AgentState?>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.Get));
        if (agent is { Status: AgentStatus.Disabled })
        {
            return await PublishAsync(context, view with { Status = ProposalStatus.Cancelled, Reason = "the agent was offboarded" }, "proposal cancelled: the agent was offboarded", "cancelled");
        }

        view = await PublishAsync(context, view with { Status = ProposalStatus.Executing }, "proposal approved", "approved");
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

        var request = new ActionRequest(view.ProposalId, view.Revision, input.AgentId, input.AgentEmail, view.Type, view.Payload, $"{view.ProposalId}:{view.Revision}");
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

            var backoff = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, attempts - 1)));
            var retryAfter = result.RetryAfterSeconds is { } s ? TimeSpan.FromSeconds(Math.Min(s, 3600)) : TimeSpan.Zero;
            await context.CreateTimer(retryAfter > backoff ? retryAfter : backoff, CancellationToken.None);
        }

        return result.Succeeded
            ? await PublishAsync(context, view with { Status = ProposalStatus.Succeeded, Result = result.Result, Attempts = attempts }, $"action done: {result.Result}", "succeeded")
            : await PublishAsync(context, view with { Status = ProposalStatus.Failed, Error = result.Error, Attempts = attempts }, $"action failed: {result.Error}", "failed");
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

    private static async Task<ProposalView> PublishAsync(TaskOrchestrationContext context, ProposalView view, string auditText, string outcome)
    {
        if (!context.IsReplaying)
        {
            // Counted once, when the step first runs (a replay passes here again).
            Integrations.HubMetrics.ApprovalStep(view.Type, outcome);
        }

        context.SetCustomStatus(view);
        await context.Entities.SignalEntityAsync(AgentEntity.Id(view.AgentId), nameof(AgentEntity.UpsertProposal),
            new ProposalSummary(view.ProposalId, view.Type, view.Status, view.Title, view.CreatedAt, view.DecidedAt, view.Result ?? view.Error));
        await context.CallActivityAsync<bool>(RecordAudit.Name, new Security.AuditRecord(
            Now(context), view.DecidedBy ?? (view.Status == ProposalStatus.Pending ? Actor(view.ProposedBy, view.AgentId) : "system"),
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
