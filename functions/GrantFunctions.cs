using System.Security.Claims;
using System.Text.Json.Nodes;
using CompanyHub.Entities;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Functions;

/// <summary>The body of <c>POST /api/agents/{agentId}/grants</c>.</summary>
public sealed record GrantBody(string? Type, JsonObject? Bounds, int? MaxPerDay, int? ExpiresInDays);

/// <summary>The body of <c>PATCH /api/agents/{agentId}/grants/{grantId}</c>: what changes (the type cannot).</summary>
public sealed record GrantEditBody(string? Type, JsonObject? Bounds, int? MaxPerDay, int? ExpiresInDays);

/// <summary>The body of <c>PUT /api/admin/grant-ceilings/{type}</c>.</summary>
public sealed record CeilingBody(bool? Allowed, JsonObject? Bounds, int? MaxPerDay);

/// <summary>
/// Standing grants: a person's standing approval for a class of their agent's actions, within bounds, a count per
/// day and an expiry; the admin's company-wide ceilings. See docs/approvals.md, "Standing grants".
/// </summary>
public sealed class GrantFunctions(IAuditLog audit, Microsoft.Extensions.Options.IOptions<ApprovalOptions> approvals)
{
    [Function("ListGrants")]
    public static async Task<IResult> ListGrants(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/grants")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        var now = DateTimeOffset.UtcNow;
        return agent is null ? Problems.NotFound(AgentAccess.NotFoundMessage(agentId)) : Results.Ok(agent.Grants.OrderByDescending(g => g.CreatedAt).Select(g => View(g, now)));
    }

    [Function("CreateGrant")]
    public async Task<IResult> CreateGrant(
        [HttpTrigger(AuthorizationLevel.User, "post", Route = "agents/{agentId}/grants")] HttpRequest req,
        string agentId, GrantBody body, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return problem!;
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var bounds = GrantRules.Validate(body.Type, body.Bounds, body.MaxPerDay, body.ExpiresInDays, errors);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors, "The grant is not valid.");
        }

        if (await CeilingProblemAsync(client, body.Type!, bounds, body.MaxPerDay!.Value, cancellationToken) is { } over)
        {
            return over;
        }

        var now = DateTimeOffset.UtcNow;
        if (agent.Grants.Count(g => g.IsActive(now)) >= GrantRules.MaxActiveGrants)
        {
            return Problems.Conflict($"{agent.Name} already has {GrantRules.MaxActiveGrants} active grants: revoke one first.");
        }

        var grant = new StandingGrant
        {
            GrantId = $"g-{Guid.NewGuid():N}"[..14],
            Type = body.Type!,
            Bounds = bounds,
            MaxPerDay = body.MaxPerDay!.Value,
            CreatedAt = now,
            CreatedBy = caller.Actor,
            ExpiresAt = now.AddDays(body.ExpiresInDays ?? GrantRules.DefaultDays),
        };
        await EntityCalls.CallAsync(client, AgentEntity.Id(agentId), nameof(AgentEntity.AddGrant), grant, cancellationToken);
        await audit.AppendAsync(new AuditRecord(now, caller.Actor, "grant.created", agentId, grant.GrantId, Describe(grant), TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.Created($"/api/agents/{agentId}/grants/{grant.GrantId}", View(grant, now));
    }

    /// <summary>
    /// Edits an active grant's bounds, count per day or expiry (<c>expiresInDays</c> counts from now), with the same
    /// validation and ceiling as creation. Proposals it holds in their undo window that the edited grant no longer covers
    /// are cancelled (and one still held when its window ends is checked again).
    /// </summary>
    [Function("EditGrant")]
    public async Task<IResult> EditGrant(
        [HttpTrigger(AuthorizationLevel.User, "patch", Route = "agents/{agentId}/grants/{grantId}")] HttpRequest req,
        string agentId, string grantId, GrantEditBody body, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return problem!;
        }

        var now = DateTimeOffset.UtcNow;
        var grant = agent.Grants.FirstOrDefault(g => g.GrantId == grantId);
        if (grant is null)
        {
            return Problems.NotFound($"No grant '{grantId}' on agent '{agentId}'.");
        }

        if (!grant.IsActive(now))
        {
            return Problems.Conflict($"Grant {grantId} is {(grant.RevokedAt is null ? "expired" : "revoked")}: it cannot be edited. Create a new grant instead.", new { grantId, grantStatus = Status(grant, now) });
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body.Type is not null && body.Type != grant.Type)
        {
            errors["type"] = [$"the type of a grant cannot change (this one is {grant.Type}): revoke it and create a new grant."];
        }

        if (body.Bounds is null && body.MaxPerDay is null && body.ExpiresInDays is null)
        {
            errors["bounds"] = ["an edit changes bounds, maxPerDay or expiresInDays: give at least one."];
        }

        var maxPerDay = body.MaxPerDay ?? grant.MaxPerDay;
        var bounds = GrantRules.Validate(grant.Type, body.Bounds ?? GrantRules.ToJson(grant.Bounds), maxPerDay, body.ExpiresInDays, errors);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors, "The edited grant is not valid.");
        }

        if (await CeilingProblemAsync(client, grant.Type, bounds, maxPerDay, cancellationToken) is { } over)
        {
            return over;
        }

        var edit = new GrantEdit(grantId, bounds, maxPerDay, body.ExpiresInDays is { } days ? now.AddDays(days) : grant.ExpiresAt, caller.Actor, now);
        var result = await EntityCalls.CallAsync<GrantEditResult>(client, AgentEntity.Id(agentId), nameof(AgentEntity.EditGrant), edit, cancellationToken);
        if (result is not { Found: true, Active: true, Grant: not null })
        {
            return Problems.Conflict($"Grant {grantId} was revoked or expired meanwhile: it cannot be edited.", new { grantId });
        }

        // What the narrowed grant no longer covers does not run: the held proposals outside it are cancelled now.
        var cancelled = 0;
        foreach (var proposalId in result.Held)
        {
            if (await ProposalFunctions.LoadAsync(client, caller, proposalId, cancellationToken) is { } held
                && GrantRules.WhyOutside(held.Type, bounds, held.Payload, isCeiling: false) is { } outside
                && await InstanceEvents.TryRaiseAsync(client, proposalId, ApprovalDecision.EventName,
                    new ApprovalDecision(ApprovalDecision.Cancel, Reason: $"grant {grantId} was narrowed: {outside}", DecidedBy: caller.Actor), cancellationToken))
            {
                cancelled++;
            }
        }

        await audit.AppendAsync(new AuditRecord(now, caller.Actor, "grant.edited", agentId, grantId, $"{Describe(result.Grant)}; {cancelled} held proposals outside it cancelled", TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.Ok(new { grant = View(result.Grant, now), cancelledProposals = cancelled });
    }

    /// <summary>Applies the inverse of a Notion or Attio change that ran under a grant (archive the page, restore the old values, delete the note or task), once.</summary>
    [Function("ApplyInverse")]
    public async Task<IResult> ApplyInverse(
        [HttpTrigger(AuthorizationLevel.User, "post", Route = "proposals/{proposalId}/inverse")] HttpRequest req,
        string proposalId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        await OnProposalAsync(client, Caller.From(user), proposalId, ProposalDecisions.InverseAsync, cancellationToken);

    /// <summary>Revokes a grant at once: it covers nothing from now on, and the proposals it holds in their undo window are cancelled.</summary>
    [Function("RevokeGrant")]
    public async Task<IResult> RevokeGrant(
        [HttpTrigger(AuthorizationLevel.User, "delete", Route = "agents/{agentId}/grants/{grantId}")] HttpRequest req,
        string agentId, string grantId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var agent = await AgentAccess.LoadAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return Problems.NotFound(AgentAccess.NotFoundMessage(agentId));
        }

        // An unknown id is answered from the state read, without an operation on the agent.
        var held = agent.Grants.Any(g => g.GrantId == grantId)
            ? await EntityCalls.CallAsync<List<string>>(client, AgentEntity.Id(agentId), nameof(AgentEntity.RevokeGrant), new GrantRevocation(grantId, caller.Actor, DateTimeOffset.UtcNow), cancellationToken)
            : null;
        if (held is null)
        {
            return Problems.NotFound($"No grant '{grantId}' on agent '{agentId}'.");
        }

        var cancelled = 0;
        foreach (var proposalId in held)
        {
            if (await InstanceEvents.TryRaiseAsync(client, proposalId, ApprovalDecision.EventName,
                    new ApprovalDecision(ApprovalDecision.Cancel, Reason: $"grant {grantId} was revoked", DecidedBy: caller.Actor), cancellationToken))
            {
                cancelled++;
            }
        }

        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, caller.Actor, "grant.revoked", agentId, grantId,
            $"grant {grantId} revoked; {cancelled} held proposals cancelled", TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.Ok(new { grantId, status = "revoked", cancelledProposals = cancelled });
    }

    /// <summary>Every grant of every agent, for the admin.</summary>
    [Function("AdminGrants")]
    public static async Task<IResult> AdminGrants(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/grants")] HttpRequest req,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var directory = (await client.Entities.GetEntityAsync<DirectoryState>(DirectoryEntity.Id, cancellationToken))?.State ?? new DirectoryState();
        var now = DateTimeOffset.UtcNow;
        var list = new List<object>();
        foreach (var agentId in directory.Agents.Keys.Order(StringComparer.Ordinal))
        {
            var agent = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(agentId), cancellationToken))?.State;
            list.AddRange((agent?.Grants ?? []).OrderByDescending(g => g.CreatedAt).Select(g => new { agentId, grant = View(g, now) }));
        }

        return Results.Ok(list);
    }

    [Function("AdminGrantCeilings")]
    public static async Task<IResult> AdminGrantCeilings(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/grant-ceilings")] HttpRequest req,
        [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var policy = (await client.Entities.GetEntityAsync<GrantPolicyState>(GrantPolicyEntity.Id, cancellationToken))?.State ?? new GrantPolicyState();
        return Results.Ok(policy.Ceilings.Values.OrderBy(c => c.Type, StringComparer.Ordinal));
    }

    /// <summary>Sets the company's ceiling for grants of one type. Existing grants stay, but cover only what the ceiling allows.</summary>
    [Function("SetGrantCeiling")]
    public async Task<IResult> SetGrantCeiling(
        [HttpTrigger(AuthorizationLevel.Admin, "put", Route = "admin/grant-ceilings/{type}")] HttpRequest req,
        string type, CeilingBody body, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var bounds = GrantRules.Validate(type, body.Bounds, body.MaxPerDay, null, errors, ceiling: true);
        if (body.Allowed is null)
        {
            errors["allowed"] = ["allowed is required: false allows no grant of this type; true allows grants within bounds and maxPerDay (both optional)."];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors, "The ceiling is not valid.");
        }

        var ceiling = new GrantCeiling(type, body.Allowed!.Value, bounds, body.MaxPerDay);
        await EntityCalls.CallAsync(client, GrantPolicyEntity.Id, nameof(GrantPolicyEntity.Set), ceiling, cancellationToken);
        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "admin", "grant.ceiling", null, type,
            ceiling.Allowed ? $"{type} grants limited to {GrantRules.ToJson(bounds).ToJsonString()}, {ceiling.MaxPerDay?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "any"} a day" : $"no {type} grants",
            TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.Ok(ceiling);
    }

    [Function("RemoveGrantCeiling")]
    public async Task<IResult> RemoveGrantCeiling(
        [HttpTrigger(AuthorizationLevel.Admin, "delete", Route = "admin/grant-ceilings/{type}")] HttpRequest req,
        string type, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (await CeilingAsync(client, type, cancellationToken) is null
            || !await EntityCalls.CallAsync<bool>(client, GrantPolicyEntity.Id, nameof(GrantPolicyEntity.Remove), type, cancellationToken))
        {
            return Problems.NotFound($"No ceiling for '{type}'.");
        }

        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, "admin", "grant.ceiling", null, type, $"ceiling for {type} removed", TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.NoContent();
    }

    /// <summary>Cancels a proposal that a grant approved while it is held in its undo window (the person's or the admin's "Undo").</summary>
    [Function("UndoProposal")]
    public async Task<IResult> UndoProposal(
        [HttpTrigger(AuthorizationLevel.User, "post", Route = "proposals/{proposalId}/undo")] HttpRequest req,
        string proposalId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        await OnProposalAsync(client, Caller.From(user), proposalId, ProposalDecisions.UndoAsync, cancellationToken);

    /// <summary>Runs <paramref name="act"/> (an undo or an inverse) on the proposal the caller may see, or answers 404.</summary>
    private async Task<IResult> OnProposalAsync(DurableTaskClient client, Caller caller, string proposalId,
        Func<DurableTaskClient, Caller, ProposalView, TimeSpan, CancellationToken, Task<IResult>> act, CancellationToken cancellationToken)
    {
        var view = await ProposalFunctions.LoadAsync(client, caller, proposalId, cancellationToken);
        return view is null
            ? Problems.NotFound($"No proposal '{proposalId}' is visible to you.")
            : await act(client, caller, view, approvals.Value.DecisionWait, cancellationToken);
    }

    internal static async Task<GrantCeiling?> CeilingAsync(DurableTaskClient client, string type, CancellationToken cancellationToken) =>
        (await client.Entities.GetEntityAsync<GrantPolicyState>(GrantPolicyEntity.Id, cancellationToken))?.State.Ceilings.GetValueOrDefault(type);

    /// <summary>A 400 naming the field when a grant's bounds or count exceed the company's ceiling for its type, or null.</summary>
    private static async Task<IResult?> CeilingProblemAsync(DurableTaskClient client, string type, Dictionary<string, List<string>> bounds, int maxPerDay, CancellationToken cancellationToken)
    {
        var ceiling = await CeilingAsync(client, type, cancellationToken);
        if (ceiling is null || GrantRules.WhyOverCeiling(ceiling, bounds, maxPerDay) is not { } over)
        {
            return null;
        }

        var field = !ceiling.Allowed ? "type" : ceiling.MaxPerDay < maxPerDay ? "maxPerDay" : "bounds";
        return Problems.Invalid(new Dictionary<string, string[]> { [field] = [over] }, "The grant exceeds the company's ceiling set by the admin.");
    }

    private static string Status(StandingGrant g, DateTimeOffset now) => g.RevokedAt is not null ? "revoked" : g.ExpiresAt <= now ? "expired" : "active";

    internal static object View(StandingGrant g, DateTimeOffset now) => new
    {
        grantId = g.GrantId,
        type = g.Type,
        bounds = g.Bounds,
        maxPerDay = g.MaxPerDay,
        usedToday = g.Day == now.UtcDateTime.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ? g.UsedToday : 0,
        uses = g.Uses,
        status = Status(g, now),
        createdAt = g.CreatedAt,
        createdBy = g.CreatedBy,
        expiresAt = g.ExpiresAt,
        revokedAt = g.RevokedAt,
        revokedBy = g.RevokedBy,
        editedAt = g.EditedAt,
        editedBy = g.EditedBy,
        held = g.Held,
    };

    private static string Describe(StandingGrant g) =>
        $"grant {g.GrantId}: {g.Type} within {GrantRules.ToJson(g.Bounds).ToJsonString()}, {g.MaxPerDay} a day, until {g.ExpiresAt:u}";
}
