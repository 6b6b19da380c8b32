using CompanyHub.Entities;
using CompanyHub.Integrations.Storage;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Agents;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace CompanyHub.Functions;

/// <summary>What <see cref="AgentChat.SendAsync"/> did: the HTTP answer, and for a message that decided a proposal the line the conversation recorded.</summary>
public sealed record ChatOutcome(IResult Result, string? Said = null);

/// <summary>
/// A person's chat message to their agent, from the dashboard or a linked channel: a decision word ("approved", "yes",
/// "no", "edit: ...") decides the newest pending proposal as the card says; anything else is a turn of the agent.
/// </summary>
public sealed class AgentChat(IConversationArchive archive, IOptions<ApprovalOptions> approvals, PersonLimits limits)
{
    /// <summary>
    /// Sends <paramref name="text"/> (already valid: <see cref="MessageFunctions.IsValidText"/>) to the active
    /// <paramref name="agent"/>. <paramref name="response"/> takes the <c>Retry-After</c> of a refusal over the person's
    /// limit; <paramref name="telegramChatId"/> is where the turn's answer also goes.
    /// </summary>
    public async Task<ChatOutcome> SendAsync(DurableTaskClient client, Caller caller, AgentState agent, string text, HttpResponse response, CancellationToken cancellationToken, long? telegramChatId = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var agentId = agent.AgentId;

        // "approved", "yes", "no", "edit: ..." decide the newest pending proposal, as the proposal card says.
        var pending = agent.Proposals.Where(p => p.Status == ProposalStatus.Pending).OrderByDescending(p => p.CreatedAt).FirstOrDefault();
        var decision = pending is null ? null : DecisionParser.Parse(text, pending.Type);

        // A message that decides counts as a decision, any other as a chat message (a turn: LLM calls).
        var kind = decision is null ? PersonLimit.Chat : PersonLimit.Decisions;
        if (!limits.TryAcquire(caller, kind, out var limit, out var retryAfter))
        {
            return new ChatOutcome(Problems.LimitReached(response, kind, limit, retryAfter));
        }

        if (pending is not null && decision is not null
            && await ProposalFunctions.LoadAsync(client, caller, pending.ProposalId, cancellationToken) is { } view)
        {
            // The same rules as the decision endpoint: validated, applied to the revision on screen, first decision wins.
            // The chat shows what the agent proposed and the person's own edits, not another person's: a proposal someone
            // else edited is approved or edited on its card, where the text is shown (rejecting runs nothing and stays).
            var result = view.Revisions.LastOrDefault() is { } last && last.EditedBy != caller.Actor && decision.Decision != ApprovalDecision.Reject
                ? Problems.Conflict(
                    $"{last.EditedBy ?? "someone"} edited it (revision {view.Revision}) after it was proposed; open its card on the dashboard to read the text, then decide there.",
                    new { proposalId = view.ProposalId, proposalStatus = view.Status, revision = view.Revision, card = view.Card })
                : await ProposalDecisions.DecideAsync(client, caller, view, decision.Decision, decision.Changes, decision.Reason, approvals.Value.DecisionWait, cancellationToken);
            var applied = result is IStatusCodeHttpResult { StatusCode: StatusCodes.Status202Accepted };
            var why = (result as IValueHttpResult)?.Value is Microsoft.AspNetCore.Mvc.ProblemDetails refusal ? refusal.Detail : "it is no longer pending.";
            var said = applied
                ? $"Applied \"{decision.Decision}\" to proposal {pending.ProposalId} ({pending.Title})."
                : $"Could not apply \"{decision.Decision}\" to proposal {pending.ProposalId} ({pending.Title}): {why}";
            var recorded = await EntityCalls.CallAsync<List<ConversationMessage>>(client, AgentEntity.Id(agentId), nameof(AgentEntity.AppendConversation), new List<ConversationMessage>
            {
                new(0, "user", text.Trim(), DateTimeOffset.UtcNow),
                new(0, "assistant", said, DateTimeOffset.UtcNow),
            }, cancellationToken);
            await archive.AppendAsync(agentId, recorded ?? [], cancellationToken);
            return new ChatOutcome(result, said);
        }

        var turnId = $"turn-{Guid.NewGuid():N}";
        await AgentMailbox.SendAsync(client, new TurnRequest(turnId, agentId, text.Trim(), TurnSource.User, TelegramChatId: telegramChatId), cancellationToken);
        return new ChatOutcome(Results.Accepted($"/api/agents/{agentId}/messages", new { turnId }));
    }
}
