using System.Security.Claims;
using CompanyHub.Entities;
using CompanyHub.Integrations.Google;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.DurableTask.Client;
using Microsoft.Azure.Functions.Worker;

namespace CompanyHub.Functions;

/// <summary>The body of <c>PUT /api/agents/{agentId}/sharing</c>.</summary>
public sealed record SharingBody(bool? CompanyToolsForAgents);

/// <summary>Agents: list, read, offboard, inbox, audit.</summary>
public sealed class AgentFunctions(TokenAuthenticator authenticator, IAuditLog audit)
{
    [Function("ListAgents")]
    public static async Task<IResult> ListAgents(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents")] HttpRequest req,
        ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var directory = (await client.Entities.GetEntityAsync<DirectoryState>(DirectoryEntity.Id, cancellationToken))?.State ?? new DirectoryState();
        var list = new List<object>();
        foreach (var entry in directory.Agents.Values.Where(a => caller.CanAccess(a.AgentId)).OrderBy(a => a.AgentId, StringComparer.Ordinal))
        {
            var agent = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(entry.AgentId), cancellationToken))?.State;
            list.Add(new
            {
                agentId = entry.AgentId,
                name = entry.Name,
                email = entry.Email,
                status = (agent?.Status ?? entry.Status).ToString().ToLowerInvariant(),
                createdAt = agent?.CreatedAt ?? entry.CreatedAt,
                lastActiveAt = agent?.LastActiveAt,
                working = agent?.WorkingTurnId is not null,
                pendingProposals = agent?.Proposals.Count(p => p.Status == ProposalStatus.Pending) ?? 0,
            });
        }

        return Results.Ok(list);
    }

    [Function("GetAgent")]
    public static async Task<IResult> GetAgent(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        var google = req.HttpContext.RequestServices.GetRequiredService<IOptions<GoogleOptions>>().Value;
        return agent is null ? Problems.NotFound(AgentAccess.NotFoundMessage(agentId)) : Results.Ok(View(agent, google));
    }

    [Function("OffboardAgent")]
    public async Task<IResult> OffboardAgent(
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "agents/{agentId}")] HttpRequest req,
        string agentId, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.Admin, agentId, cancellationToken);
        if (agent is null)
        {
            return Problems.NotFound(AgentAccess.NotFoundMessage(agentId));
        }

        if (agentId == Orchestrations.Agents.SystemPrompts.OrchestratorId)
        {
            return Problems.Conflict("The orchestrator agent cannot be offboarded.");
        }

        // The pending list comes from the disabling operation itself: a proposal that reaches the agent later finds
        // it disabled and is cancelled by its own orchestration when approved.
        var pending = await EntityCalls.CallAsync<List<string>>(client, AgentEntity.Id(agentId), nameof(AgentEntity.Disable), null, cancellationToken) ?? [];
        await EntityCalls.CallAsync(client, DirectoryEntity.Id, nameof(DirectoryEntity.Disable), agentId, cancellationToken);
        authenticator.Invalidate();
        var cancelled = 0;
        foreach (var proposalId in pending)
        {
            // Already finished or gone: nothing to cancel.
            if (await InstanceEvents.TryRaiseAsync(client, proposalId, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Cancel, Reason: "the agent was offboarded", DecidedBy: "admin"), cancellationToken))
            {
                cancelled++;
            }
        }

        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "admin", "agent.offboarded", agentId, agentId, $"disabled; token revoked; {cancelled} pending proposals cancelled", TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.Ok(new { agentId, status = "disabled", cancelledProposals = cancelled });
    }

    [Function("GetInbox")]
    public static async Task<IResult> GetInbox(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/inbox")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        return agent is null ? Problems.NotFound(AgentAccess.NotFoundMessage(agentId)) : Results.Ok(agent.Inbox.AsEnumerable().Reverse());
    }

    [Function("GetAgentAudit")]
    public async Task<IResult> GetAgentAudit(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/audit")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken, int top = 100)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        return agent is null ? Problems.NotFound(AgentAccess.NotFoundMessage(agentId)) : Results.Ok(await audit.QueryAsync(new AuditQuery(AgentId: agentId, Top: top), cancellationToken));
    }

    /// <summary>
    /// What the agent may read for its person while it answers another agent: the person's own Gmail and Calendar
    /// never; the company's Notion and Attio when the person (or the admin) allows it. Replies wait for approval either way.
    /// </summary>
    [Function("SetAgentSharing")]
    public async Task<IResult> SetAgentSharing(
        [HttpTrigger(AuthorizationLevel.User, "put", Route = "agents/{agentId}/sharing")] HttpRequest req,
        string agentId, SharingBody body, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return problem!;
        }

        if (body.CompanyToolsForAgents is not { } allowed)
        {
            return Problems.Invalid(new Dictionary<string, string[]> { ["companyToolsForAgents"] = ["companyToolsForAgents is required: true or false."] });
        }

        await EntityCalls.CallAsync(client, AgentEntity.Id(agentId), nameof(AgentEntity.SetCompanyToolsForAgents), allowed, cancellationToken);
        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, caller.Actor, "agent.sharing", agentId, agentId,
            allowed ? "other agents' questions may read the company's Notion and Attio" : "other agents' questions read no company tools", TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.Ok(Sharing(allowed));
    }

    private static object GoogleView(AgentState agent, GoogleOptions? google)
    {
        var connected = agent.SealedGoogleRefreshToken is not null;
        var missing = connected && google is { IsConfigured: true } ? GoogleScopes.Missing(agent.GoogleScopes, google) : [];
        return new
        {
            connected,
            accessLost = connected && agent.GoogleAccessLostAt is not null,
            accessLostAt = agent.GoogleAccessLostAt,
            missingScopes = missing,
            reconnectNeeded = connected && (agent.GoogleAccessLostAt is not null || missing.Count > 0),
        };
    }

    private static object Sharing(bool companyTools) => new { companyToolsForAgents = companyTools, personalToolsForAgents = false, repliesNeedApproval = true };

    /// <summary>
    /// What the agent may do without asking, from its person's standing grants (the stored profile's level never
    /// changes): level 1 always asks; level 2 acts within active grants, whose types are listed.
    /// </summary>
    private static AgentAutonomy Autonomy(AgentState agent, DateTimeOffset now)
    {
        var types = agent.Grants.Where(g => g.IsActive(now)).Select(g => g.Type).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return types.Count == 0 ? AgentAutonomy.AlwaysAsk : new AgentAutonomy(2, types);
    }

    /// <summary>
    /// The agent as the API and the live streams show it. <c>google</c> says whether the person must reconnect Google:
    /// access lost (Google refused the stored token) or scopes this hub now asks for that they have not granted.
    /// </summary>
    internal static object View(AgentState agent, GoogleOptions? google = null) => new
    {
        agentId = agent.AgentId,
        name = agent.Name,
        email = agent.Email,
        status = agent.Status.ToString().ToLowerInvariant(),
        identity = agent.Identity,
        allowAgents = agent.AllowAgents,
        autonomy = Autonomy(agent, DateTimeOffset.UtcNow),
        workspace = agent.Workspace,
        createdAt = agent.CreatedAt,
        lastActiveAt = agent.LastActiveAt,
        working = agent.WorkingTurnId is not null,
        googleConnected = agent.SealedGoogleRefreshToken is not null,
        google = GoogleView(agent, google),
        pendingProposals = agent.Proposals.Count(p => p.Status == ProposalStatus.Pending),
        inbox = agent.Inbox.Count,
        sharing = Sharing(agent.CompanyToolsForAgents),
    };
}
