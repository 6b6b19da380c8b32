using System.Text.Json.Nodes;
using CompanyHub.Entities;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Functions;

/// <summary>
/// Applies a person's decision to a proposal, from the decision endpoint or from chat: validates it, raises it for the
/// revision the person saw, and waits to learn whether it was the decision applied.
/// </summary>
public static class ProposalDecisions
{
    /// <summary>
    /// <c>202 { proposalId, decision, status, revision }</c> when applied (<c>queued: true</c> when it could not be confirmed
    /// within <paramref name="wait"/>); <c>409</c> when the proposal is no longer pending, when <paramref name="seen"/> is
    /// not its current revision (the answer carries the current card), or when another decision on the same revision
    /// came first; <c>400</c> naming the field for a bad decision or edit. Without <paramref name="seen"/> (chat) the
    /// decision is for the current revision.
    /// </summary>
    public static async Task<IResult> DecideAsync(DurableTaskClient client, Caller caller, ProposalView view, string? decisionText, JsonObject? changes, string? reason, TimeSpan wait, CancellationToken cancellationToken, int? seen = null)
    {
        var decision = decisionText?.Trim().ToLowerInvariant();
        if (decision is not (ApprovalDecision.Approve or ApprovalDecision.Edit or ApprovalDecision.Reject))
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["decision"] = ["decision must be approve, edit or reject."] });
        }

        if (view.Status != ProposalStatus.Pending)
        {
            return NoLongerPending(view);
        }

        // An approval never runs a text its person has not seen: a decision on another revision changes nothing.
        var revision = seen ?? view.Revision;
        if (revision != view.Revision)
        {
            return Problems.Conflict(
                $"Proposal {view.ProposalId} is at revision {view.Revision} now, not {revision}: it changed since you saw it. Nothing was applied; read the current card and decide again.",
                new { proposalId = view.ProposalId, proposalStatus = view.Status, revision = view.Revision, card = view.Card });
        }

        if (decision == ApprovalDecision.Edit)
        {
            if (changes is not { Count: > 0 })
            {
                return Problems.Invalid(new Dictionary<string, string[]> { ["changes"] = ["an edit needs changes: an object of the fields to change."] });
            }

            var unknown = changes.Select(c => c.Key).Where(k => !ProposalValidator.FieldsOf(view.Type).Contains(k)).ToList();
            if (unknown.Count > 0)
            {
                var fields = ProposalValidator.FieldsOf(view.Type);
                return Problems.Invalid(unknown.ToDictionary(k => "changes." + k, k => new[]
                {
                    fields.Count == 0 ? $"a {view.Type} proposal cannot be edited: reject it and propose again." : $"a {view.Type} proposal has no field '{k}'; it has {string.Join(", ", fields)}.",
                }));
            }

            var edited = ProposalValidator.ApplyChanges(view.Payload, changes);
            var errors = ProposalValidator.Validate(view.Type, edited);
            if (errors.Count > 0)
            {
                return Problems.Invalid(errors.ToDictionary(e => e.Key.Replace("payload.", "changes.", StringComparison.Ordinal), e => e.Value), "The edited proposal would not be valid.");
            }

            // A new addressee is checked as a new message would be: allowed by the sender's allowAgents, active, not itself.
            if (view.Type == ProposalTypes.MessageAgent && changes.ContainsKey("agentId")
                && (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(view.AgentId), cancellation: cancellationToken))?.State is { } sender
                && await ProposalFunctions.MessageTargetErrorAsync(client, sender, ProposalValidator.Text(edited, "agentId")!, cancellationToken) is { } targetError)
            {
                return Problems.Invalid(new Dictionary<string, string[]> { ["changes.agentId"] = [targetError] }, "The edited proposal would not be valid.");
            }
        }

        if (decision != ApprovalDecision.Reject
            && (await AgentAccess.LoadAsync(client, caller, view.AgentId, cancellationToken)) is not { Status: AgentStatus.Active })
        {
            return Problems.Conflict($"Agent '{view.AgentId}' is disabled: its proposals cannot run.", new { proposalId = view.ProposalId, proposalStatus = view.Status, agentStatus = "disabled" });
        }

        // The orchestration applies the first decision on a revision and ignores the others; this request waits to
        // learn whether it was the first, so that two racing decisions get one 202 and one 409.
        var decisionId = Guid.NewGuid().ToString("N");
        if (!await InstanceEvents.TryRaiseAsync(client, view.ProposalId, ApprovalDecision.EventName,
                new ApprovalDecision(decision, changes, reason, caller.Actor, revision, decisionId), cancellationToken))
        {
            // It finished (expired, cancelled) since it was read.
            return NoLongerPending(await ProposalFunctions.LoadAsync(client, caller, view.ProposalId, cancellationToken) ?? view);
        }

        var (applied, now) = await AwaitAsync(client, caller, view, decisionId, wait, cancellationToken);
        if (applied)
        {
            return Results.Accepted($"/api/proposals/{view.ProposalId}", new { proposalId = view.ProposalId, decision, status = now!.Status, revision = now.Revision });
        }

        return now is null
            // The orchestration is busy: the decision is queued and will be applied unless another one came first.
            ? Results.Accepted($"/api/proposals/{view.ProposalId}", new { proposalId = view.ProposalId, decision, status = ProposalStatus.Pending, revision = view.Revision, queued = true })
            : NoLongerPending(now, $"Proposal {view.ProposalId} was decided by another request first: it is now {Describe(now)}. Your {decision} was not applied.");
    }

    /// <summary>
    /// Cancels a proposal that a standing grant approved, while it is held in its undo window: <c>200</c> with
    /// <c>status: cancelled</c>, <c>202 queued</c> when not confirmed within <paramref name="wait"/>, <c>409</c> when it is
    /// not held (any more): it already ran, or was never approved by a grant.
    /// </summary>
    public static async Task<IResult> UndoAsync(DurableTaskClient client, Caller caller, ProposalView view, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (view.Status != ProposalStatus.Held)
        {
            return Problems.Conflict(view.Grant is null
                ? $"Proposal {view.ProposalId} was not approved by a grant; it is {Describe(view)}."
                : $"Proposal {view.ProposalId} is past its undo window: it is {view.Status}.", new { proposalId = view.ProposalId, proposalStatus = view.Status });
        }

        var decisionId = Guid.NewGuid().ToString("N");
        var undo = new ApprovalDecision(ApprovalDecision.Cancel, Reason: $"undone by {caller.Actor}", DecidedBy: caller.Actor, DecisionId: decisionId);
        if (!await InstanceEvents.TryRaiseAsync(client, view.ProposalId, ApprovalDecision.EventName, undo, cancellationToken))
        {
            return NoLongerPending(await ProposalFunctions.LoadAsync(client, caller, view.ProposalId, cancellationToken) ?? view);
        }

        var (applied, now) = await AwaitAsync(client, caller, view, decisionId, wait, cancellationToken);
        if (applied)
        {
            return Results.Ok(new { proposalId = view.ProposalId, status = now!.Status, grant = view.Grant });
        }

        return now is null
            ? Results.Accepted($"/api/proposals/{view.ProposalId}", new { proposalId = view.ProposalId, status = view.Status, queued = true })
            : Problems.Conflict($"Proposal {view.ProposalId} left its undo window first: it is {now.Status}. The undo was not applied.", new { proposalId = view.ProposalId, proposalStatus = now.Status });
    }

    /// <summary>
    /// Applies the inverse of a change that ran under a grant (the person's click): <c>202</c> with the inverse as it is
    /// then (<c>queued: true</c> when not confirmed within <paramref name="wait"/>); <c>409</c> when the proposal has no
    /// inverse, or it is no longer available — applied (a second click), being applied, or its window ended.
    /// </summary>
    public static async Task<IResult> InverseAsync(DurableTaskClient client, Caller caller, ProposalView view, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (view.Inverse is not { } inverse)
        {
            return Problems.Conflict($"Proposal {view.ProposalId} has no inverse: only a Notion or Attio change that ran under a grant offers one.", new { proposalId = view.ProposalId, proposalStatus = view.Status });
        }

        if (inverse.Status != ProposalInverse.Available)
        {
            return InverseGone(view);
        }

        var decisionId = Guid.NewGuid().ToString("N");
        if (!await InstanceEvents.TryRaiseAsync(client, view.ProposalId, ApprovalDecision.EventName,
                new ApprovalDecision(ApprovalDecision.Inverse, DecidedBy: caller.Actor, DecisionId: decisionId), cancellationToken))
        {
            return InverseGone(await ProposalFunctions.LoadAsync(client, caller, view.ProposalId, cancellationToken) ?? view);
        }

        var (applied, now) = await AwaitAsync(client, caller, view, decisionId, wait, cancellationToken);
        if (applied)
        {
            return Results.Accepted($"/api/proposals/{view.ProposalId}", new { proposalId = view.ProposalId, inverse = now!.Inverse });
        }

        return now is null
            ? Results.Accepted($"/api/proposals/{view.ProposalId}", new { proposalId = view.ProposalId, inverse, queued = true })
            : InverseGone(now);
    }

    /// <summary>
    /// Waits until the orchestration shows whether it applied the decision <paramref name="decisionId"/>: (true, view)
    /// when it did, (false, view) when the proposal moved on without it, (false, null) when <paramref name="wait"/> ran out.
    /// </summary>
    private static async Task<(bool Applied, ProposalView? Now)> AwaitAsync(DurableTaskClient client, Caller caller, ProposalView view, string decisionId, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            while (true)
            {
                await Task.Delay(20, timeout.Token);
                var now = await ProposalFunctions.LoadAsync(client, caller, view.ProposalId, timeout.Token);
                if (now is null)
                {
                    continue;
                }

                if (now.DecisionId == decisionId)
                {
                    return (true, now);
                }

                if (now.Revision != view.Revision || now.Status != view.Status || now.Inverse?.Status != view.Inverse?.Status)
                {
                    return (false, now);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (false, null);
        }
    }

    private static IResult InverseGone(ProposalView view)
    {
        var inverse = view.Inverse;
        var state = inverse?.Status switch
        {
            ProposalInverse.Applied or ProposalInverse.Applying or ProposalInverse.Failed => $"{inverse.Status} (requested by {inverse.AppliedBy} at {inverse.AppliedAt:u}); it runs once only",
            ProposalInverse.Unavailable => $"not available: {inverse.Description}",
            ProposalInverse.Closed => "no longer offered: its window ended",
            _ => "not available",
        };
        return Problems.Conflict($"The inverse of proposal {view.ProposalId} is {state}.", new { proposalId = view.ProposalId, proposalStatus = view.Status, inverse });
    }

    private static IResult NoLongerPending(ProposalView view, string? detail = null) =>
        Problems.Conflict(detail ?? $"Proposal {view.ProposalId} is no longer pending: it is {Describe(view)}.", new { proposalId = view.ProposalId, proposalStatus = view.Status, revision = view.Revision });

    private static string Describe(ProposalView view) => view.Status == ProposalStatus.Pending ? $"at revision {view.Revision}" : view.Status;
}
