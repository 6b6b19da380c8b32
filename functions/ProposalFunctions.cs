using System.Security.Claims;
using System.Text.Json.Nodes;
using CompanyHub.Entities;
using CompanyHub.Integrations;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>The body of <c>POST /api/agents/{agentId}/proposals</c>.</summary>
public sealed record NewProposal(string? Type, JsonObject? Payload);

/// <summary>The body of <c>POST /api/proposals/{proposalId}/decision</c>.</summary>
/// <param name="Revision">The revision of the card the decision was made on (required).</param>
public sealed record DecisionBody(string? Decision, JsonObject? Changes, string? Reason, int? Revision);

/// <summary>Proposals: list, compose by hand, read, decide.</summary>
public sealed class ProposalFunctions(IOptions<ApprovalOptions> approvals, ToolAvailability tools, PersonLimits limits, ProposalPreparation preparation)
{
    [Function("ListProposals")]
    public static async Task<IResult> ListProposals(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/proposals")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken, string? status = null)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        if (agent is null)
        {
            return Problems.NotFound(AgentAccess.NotFoundMessage(agentId));
        }

        return Results.Ok(agent.Proposals.Where(p => status is null || p.Status == status).OrderByDescending(p => p.CreatedAt));
    }

    [Function("CreateProposal")]
    public async Task<IResult> CreateProposal(
        [HttpTrigger(AuthorizationLevel.User, "post", Route = "agents/{agentId}/proposals")] HttpRequest req,
        string agentId, NewProposal body, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        if (!limits.TryAcquire(caller, PersonLimit.Proposals, out var limit, out var retryAfter))
        {
            return Problems.LimitReached(req.HttpContext.Response, PersonLimit.Proposals, limit, retryAfter);
        }

        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return problem!;
        }

        var errors = ProposalValidator.Validate(body.Type, body.Payload);
        if (errors.Count == 0 && ProposalTypes.OrchestratorOnly.Contains(body.Type!) && agentId != Orchestrations.Agents.SystemPrompts.OrchestratorId)
        {
            errors["type"] = [$"{body.Type} proposals belong to the orchestrator agent."];
        }

        if (errors.Count == 0 && ProposalTypes.HubOnly.Contains(body.Type!))
        {
            errors["type"] = [body.Type == ProposalTypes.Grant
                ? "grant proposals are the agent's suggestions; create a grant yourself with POST /api/agents/{agentId}/grants."
                : $"{body.Type} proposals are made by the hub when another agent asks; to write to an agent, propose message_agent."];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors, "The proposal is not valid.");
        }

        // Refuse now what could only fail after the person approved it.
        if (tools.WhyNot(body.Type!) is { } notConfigured)
        {
            return Problems.Unavailable(notConfigured);
        }

        if (ToolAvailability.NeedsGoogleAccount(body.Type!) && agent.SealedGoogleRefreshToken is null)
        {
            return Problems.Conflict(agentId == Orchestrations.Agents.SystemPrompts.OrchestratorId
                ? "No Google account is connected for the hub: the admin connects one at /oauth/google/connect-sender."
                : $"{agent.Name} has not connected a Google account (signed in without Google), so Gmail and Calendar are not available.", new { google = "not_connected" });
        }

        if (body.Type == ProposalTypes.MessageAgent && await MessageTargetErrorAsync(client, agent, ProposalValidator.Text(body.Payload!, "agentId")!, cancellationToken) is { } targetError)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["payload.agentId"] = [targetError] }, "The proposal is not valid.");
        }

        // What the card must show as it is now (a draft's content) is read before anything is proposed.
        var prepared = await preparation.PrepareAsync(agentId, body.Type!, body.Payload!, cancellationToken);
        if (prepared.Refused is { } refused)
        {
            return prepared.InvalidInput
                ? Problems.Invalid(new Dictionary<string, string[]> { ["payload.draftId"] = [refused] }, "The proposal is not valid.")
                : prepared.ServiceFailed ? Problems.Unavailable(refused) : Problems.Conflict(refused);
        }

        body = body with { Payload = prepared.Payload };

        // The hop count of a conversation between agents is the hub's: a person's message starts one.
        body.Payload!.Remove("hops");
        var proposalId = $"p-{Guid.NewGuid():N}";
        var request = new ProposalRequest(proposalId, agentId, agent.Email, body.Type!, body.Payload!, ProposedBy.User, DateTimeOffset.UtcNow + approvals.Value.Expiry) { GrantsApply = true };
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(ApprovalOrchestration), request, new StartOrchestrationOptions(proposalId), cancellationToken);
        return Results.Accepted($"/api/proposals/{proposalId}", new
        {
            proposalId,
            status = ProposalStatus.Pending,
            card = ProposalCard.Render(body.Type!, body.Payload!, agent.Email, 1),
            statusUrl = $"/api/proposals/{proposalId}",
        });
    }

    [Function("GetProposal")]
    public static async Task<IResult> GetProposal(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "proposals/{proposalId}")] HttpRequest req,
        string proposalId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var view = await LoadAsync(client, Caller.From(user), proposalId, cancellationToken);
        return view is null ? Problems.NotFound($"No proposal '{proposalId}' is visible to you.") : Results.Ok(view);
    }

    [Function("DecideProposal")]
    public async Task<IResult> DecideProposal(
        [HttpTrigger(AuthorizationLevel.User, "post", Route = "proposals/{proposalId}/decision")] HttpRequest req,
        string proposalId, DecisionBody body, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        if (!limits.TryAcquire(caller, PersonLimit.Decisions, out var limit, out var retryAfter))
        {
            return Problems.LimitReached(req.HttpContext.Response, PersonLimit.Decisions, limit, retryAfter);
        }

        var view = await LoadAsync(client, caller, proposalId, cancellationToken);
        if (view is null)
        {
            return Problems.NotFound($"No proposal '{proposalId}' is visible to you.");
        }

        if (body.Revision is not { } revision)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["revision"] = ["revision is required: the revision of the proposal card the decision was made on."] });
        }

        return await ProposalDecisions.DecideAsync(client, caller, view, body.Decision, body.Changes, body.Reason, approvals.Value.DecisionWait, cancellationToken, revision);
    }

    /// <summary>Why <paramref name="sender"/> may not message <paramref name="target"/> (the rules an agent's own tool follows), or null.</summary>
    internal static async Task<string?> MessageTargetErrorAsync(DurableTaskClient client, AgentState sender, string target, CancellationToken cancellationToken)
    {
        if (target == sender.AgentId)
        {
            return "an agent cannot message itself.";
        }

        if (sender.WhyNotAllowedToMessage(target) is { } notAllowed)
        {
            return notAllowed;
        }

        var peer = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(target), cancellationToken))?.State;
        return peer is { Status: AgentStatus.Active } ? null : $"there is no active agent '{target}'.";
    }

    /// <summary>The proposal as its orchestration shows it, or null when it does not exist or is not the caller's.</summary>
    internal static async Task<ProposalView?> LoadAsync(DurableTaskClient client, Caller caller, string proposalId, CancellationToken cancellationToken)
    {
        if (!proposalId.StartsWith("p-", StringComparison.Ordinal))
        {
            return null;
        }

        var instance = await client.GetInstanceAsync(proposalId, true, cancellationToken);
        return instance is not null && ViewOf(instance) is { } view && caller.CanAccess(view.AgentId) ? view : null;
    }

    /// <summary>The proposal an approval orchestration's instance (read with its inputs and outputs) shows, or null when it is not one.</summary>
    internal static ProposalView? ViewOf(OrchestrationMetadata instance)
    {
        if (instance.Name != nameof(ApprovalOrchestration))
        {
            return null;
        }

        var view = (instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? instance.ReadOutputAs<ProposalView>() : null) ?? instance.ReadCustomStatusAs<ProposalView>();
        if (view is null)
        {
            // Scheduled but its first step has not run yet: show it from the request.
            var request = instance.ReadInputAs<ProposalRequest>();
            if (request is null)
            {
                return null;
            }

            view = new ProposalView
            {
                ProposalId = request.ProposalId, AgentId = request.AgentId, Type = request.Type, Status = ProposalStatus.Pending, Revision = 1,
                Payload = request.Payload, Card = ProposalCard.Render(request.Type, request.Payload, request.AgentEmail, 1), ProposedBy = request.ProposedBy,
                CreatedAt = instance.CreatedAt, ExpiresAt = request.ExpiresAt,
            };
        }

        if (instance.IsCompleted && !ProposalStatus.IsFinal(view.Status))
        {
            // The workflow itself ended without finishing the proposal (dead-lettered after repeated crashes, terminated
            // by the admin): say so instead of showing "executing" forever.
            view = view with
            {
                Status = ProposalStatus.Failed,
                Error = instance.FailureDetails?.ErrorMessage ?? $"The proposal's workflow was {instance.RuntimeStatus.ToString().ToLowerInvariant()}.",
            };
        }

        return view;
    }
}
