using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using CompanyHub.Entities;
using CompanyHub.Integrations.Storage;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Agents;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask.Client;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>The body of <c>POST /api/agents/{agentId}/messages</c>.</summary>
public sealed record ChatMessage(string? Text);

/// <summary>Chat with an agent.</summary>
public sealed class MessageFunctions(IConversationArchive archive, Microsoft.Extensions.Options.IOptions<ApprovalOptions> approvals, PersonLimits limits)
{
    public const int MaxText = 20_000;

    [Function("SendMessage")]
    public async Task<IResult> SendMessage(
        [HttpTrigger(AuthorizationLevel.User, "post", Route = "agents/{agentId}/messages")] HttpRequest req,
        string agentId, ChatMessage body, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return problem!;
        }

        if (!IsValidText(body.Text, out var invalid))
        {
            return invalid;
        }

        // "approved", "yes", "no", "edit: ..." decide the newest pending proposal, as the proposal card says.
        var pending = agent.Proposals.Where(p => p.Status == ProposalStatus.Pending).OrderByDescending(p => p.CreatedAt).FirstOrDefault();
        var decision = pending is null ? null : DecisionParser.Parse(body.Text, pending.Type);

        // A message that decides counts as a decision, any other as a chat message (a turn: LLM calls).
        var kind = decision is null ? PersonLimit.Chat : PersonLimit.Decisions;
        if (!limits.TryAcquire(caller, kind, out var limit, out var retryAfter))
        {
            return Problems.LimitReached(req.HttpContext.Response, kind, limit, retryAfter);
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
            var recorded = await EntityCalls.CallAsync<List<ConversationMessage>>(client, AgentEntity.Id(agentId), nameof(AgentEntity.AppendConversation), new List<ConversationMessage>
            {
                new(0, "user", body.Text.Trim(), DateTimeOffset.UtcNow),
                new(0, "assistant", applied
                    ? $"Applied \"{decision.Decision}\" to proposal {pending.ProposalId} ({pending.Title})."
                    : $"Could not apply \"{decision.Decision}\" to proposal {pending.ProposalId} ({pending.Title}): {why}", DateTimeOffset.UtcNow),
            }, cancellationToken);
            await archive.AppendAsync(agentId, recorded ?? [], cancellationToken);
            return result;
        }

        var turnId = $"turn-{Guid.NewGuid():N}";
        await AgentMailbox.SendAsync(client, new TurnRequest(turnId, agentId, body.Text.Trim(), TurnSource.User), cancellationToken);
        return Results.Accepted($"/api/agents/{agentId}/messages", new { turnId });
    }

    /// <summary>Whether a chat or broadcast text is fine; else <paramref name="problem"/> says why (missing, too long, control characters).</summary>
    public static bool IsValidText([NotNullWhen(true)] string? text, [NotNullWhen(false)] out IResult? problem)
    {
        problem = string.IsNullOrWhiteSpace(text) || text.Length > MaxText ? Problems.Invalid(new Dictionary<string, string[]> { ["text"] = [$"text is required, at most {MaxText} characters."] })
            : FreeText.HasControlCharacters(text) ? Problems.Invalid(new Dictionary<string, string[]> { ["text"] = ["text " + FreeText.ControlCharacters] })
            : null;
        return problem is null;
    }

    [Function("ReadMessages")]
    public async Task<IResult> ReadMessages(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/messages")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken, long after = 0, int top = 100)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        if (agent is null)
        {
            return Problems.NotFound(AgentAccess.NotFoundMessage(agentId));
        }

        var messages = await archive.ReadAsync(agentId, after, Math.Clamp(top, 1, 500), cancellationToken);
        return Results.Ok(new { messages, working = agent.WorkingTurnId is not null, next = messages.Count > 0 ? messages[^1].Seq : after });
    }
}
