using System.Security.Claims;
using CompanyHub.Entities;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Agents;
using CompanyHub.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Functions;

/// <summary>
/// The body of a persona <c>PUT</c>: the new tone and/or instructions (an absent field keeps its current value, an empty
/// one returns to the built-in), or <c>restoreVersion</c> alone to save an earlier version again.
/// </summary>
public sealed record PersonaBody(string? Tone, string? Instructions, int? RestoreVersion);

/// <summary>
/// Personas: the orchestrator's instructions and the default persona (the admin's), each agent's tone and standing
/// instructions (its person's). Versioned and audited; the safety rules are not editable here (see SystemPrompts).
/// </summary>
public sealed class PersonaFunctions(IAuditLog audit)
{
    private static readonly string[] AdminKeys = [SystemPrompts.OrchestratorId, PersonaEntity.DefaultKey];

    [Function("GetAdminPersona")]
    public static async Task<IResult> GetAdminPersona(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/personas/{key}")] HttpRequest req,
        string key, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        AdminKeys.Contains(key) ? Results.Ok(View(key, await LoadAsync(client, key, cancellationToken), null)) : UnknownKey(key);

    [Function("GetAdminPersonaVersions")]
    public static async Task<IResult> GetAdminPersonaVersions(
        [HttpTrigger(AuthorizationLevel.Admin, "get", Route = "admin/personas/{key}/versions")] HttpRequest req,
        string key, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        AdminKeys.Contains(key) ? Results.Ok(Versions(await LoadAsync(client, key, cancellationToken))) : UnknownKey(key);

    [Function("SetAdminPersona")]
    public async Task<IResult> SetAdminPersona(
        [HttpTrigger(AuthorizationLevel.Admin, "put", Route = "admin/personas/{key}")] HttpRequest req,
        string key, PersonaBody body, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken) =>
        AdminKeys.Contains(key) ? await SaveAsync(req, key, null, body, Caller.Admin, client, cancellationToken) : UnknownKey(key);

    [Function("GetAgentPersona")]
    public static async Task<IResult> GetAgentPersona(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/persona")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        return agent is null ? Problems.NotFound(AgentAccess.NotFoundMessage(agentId)) : Results.Ok(View(agentId, await LoadAsync(client, agentId, cancellationToken), agent));
    }

    [Function("GetAgentPersonaVersions")]
    public static async Task<IResult> GetAgentPersonaVersions(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/persona/versions")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        return agent is null ? Problems.NotFound(AgentAccess.NotFoundMessage(agentId)) : Results.Ok(Versions(await LoadAsync(client, agentId, cancellationToken)));
    }

    [Function("SetAgentPersona")]
    public async Task<IResult> SetAgentPersona(
        [HttpTrigger(AuthorizationLevel.User, "put", Route = "agents/{agentId}/persona")] HttpRequest req,
        string agentId, PersonaBody body, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var (agent, problem) = await AgentAccess.LoadActiveAsync(client, caller, agentId, cancellationToken);
        return agent is null ? problem! : await SaveAsync(req, agentId, agent, body, caller, client, cancellationToken);
    }

    private async Task<IResult> SaveAsync(HttpRequest req, string key, AgentState? agent, PersonaBody body, Caller caller, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var state = await LoadAsync(client, key, cancellationToken);
        PersonaEdit edit;
        if (body.RestoreVersion is { } restore)
        {
            if (body.Tone is not null || body.Instructions is not null)
            {
                return Problems.Invalid(new Dictionary<string, string[]> { ["restoreVersion"] = ["restoreVersion comes alone: without tone or instructions."] });
            }

            if (state?.Versions.Find(v => v.Version == restore) is not { } earlier)
            {
                return Problems.NotFound($"There is no version {restore} of this persona (kept: {(state is null || state.Versions.Count == 0 ? "none" : string.Join(", ", state.Versions.Select(v => v.Version)))}).");
            }

            edit = new PersonaEdit(earlier.Tone, earlier.Instructions, caller.Actor, DateTimeOffset.UtcNow, restore);
        }
        else
        {
            var errors = new Dictionary<string, string[]>();
            Check(errors, "tone", body.Tone, PersonaEntity.MaxTone);
            Check(errors, "instructions", body.Instructions, PersonaEntity.MaxInstructions);
            if (body.Tone is null && body.Instructions is null)
            {
                errors["tone"] = ["Give tone and/or instructions (an empty string returns to the built-in), or restoreVersion."];
            }

            if (errors.Count > 0)
            {
                return Problems.Invalid(errors);
            }

            edit = new PersonaEdit((body.Tone ?? state?.Current?.Tone ?? "").Trim(), (body.Instructions ?? state?.Current?.Instructions ?? "").Trim(), caller.Actor, DateTimeOffset.UtcNow);
        }

        var saved = await EntityCalls.CallAsync<PersonaVersion>(client, PersonaEntity.Id(key), nameof(PersonaEntity.Save), edit, cancellationToken);
        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, caller.Actor, "persona.saved", agent?.AgentId, $"persona@{key}",
            $"version {saved!.Version}{(saved.RestoredFrom is { } from ? $" (restores version {from})" : "")}: tone {saved.Tone.Length} characters, instructions {saved.Instructions.Length} characters",
            TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.Ok(View(key, await LoadAsync(client, key, cancellationToken), agent));
    }

    private static void Check(Dictionary<string, string[]> errors, string field, string? value, int max)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length > max)
        {
            errors[field] = [$"{field} is at most {max} characters (this one has {value.Length})."];
        }
        else if (FreeText.HasControlCharacters(value))
        {
            errors[field] = [$"{field} {FreeText.ControlCharacters}"];
        }
    }

    private static async Task<PersonaState?> LoadAsync(DurableTaskClient client, string key, CancellationToken cancellationToken) =>
        (await client.Entities.GetEntityAsync<PersonaState>(PersonaEntity.Id(key), cancellationToken))?.State;

    private static IResult UnknownKey(string key) => Problems.NotFound($"There is no persona '{key}': the admin's are 'orchestrator' and 'default'.");

    /// <summary>The persona in force: the saved one, or what the prompt uses without it (the built-in, or for an agent the default).</summary>
    private static object View(string key, PersonaState? state, AgentState? agent)
    {
        var current = state?.Current;
        return new
        {
            key,
            version = current?.Version,
            tone = current?.Tone ?? "",
            instructions = current?.Instructions ?? "",
            savedBy = current?.By,
            savedAt = current?.At,
            restoredFrom = current?.RestoredFrom,
            builtIn = new
            {
                tone = agent?.Identity.Personality ?? (key == SystemPrompts.OrchestratorId ? "Helpful admin assistant." : ""),
                instructions = key == SystemPrompts.OrchestratorId ? SystemPrompts.OrchestratorInstructions.Trim() : "",
            },
            usesDefault = agent is not null && key != SystemPrompts.OrchestratorId && current is null,
            limits = new { tone = PersonaEntity.MaxTone, instructions = PersonaEntity.MaxInstructions },
            safetyRules = "fixed: approvals, privacy and the rules of turns other agents start are not part of the persona and always apply",
        };
    }

    private static object Versions(PersonaState? state) =>
        (state?.Versions ?? []).AsEnumerable().Reverse().Select(v => new { v.Version, v.Tone, v.Instructions, savedBy = v.By, savedAt = v.At, v.RestoredFrom });
}

/// <summary>An agent's memory: the facts its person asked it to remember, which the person sees and deletes.</summary>
public sealed class MemoryFunctions(IAuditLog audit)
{
    [Function("GetAgentMemory")]
    public static async Task<IResult> GetAgentMemory(
        [HttpTrigger(AuthorizationLevel.User, "get", Route = "agents/{agentId}/memory")] HttpRequest req,
        string agentId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var agent = await AgentAccess.LoadAsync(client, Caller.From(user), agentId, cancellationToken);
        return agent is null
            ? Problems.NotFound(AgentAccess.NotFoundMessage(agentId))
            : Results.Ok(new { facts = agent.Memory.AsEnumerable().Reverse(), limit = AgentState.MaxMemory, maxLength = AgentState.MaxMemoryText });
    }

    [Function("DeleteAgentMemory")]
    public async Task<IResult> DeleteAgentMemory(
        [HttpTrigger(AuthorizationLevel.User, "delete", Route = "agents/{agentId}/memory/{factId}")] HttpRequest req,
        string agentId, string factId, ClaimsPrincipal user, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var agent = await AgentAccess.LoadAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return Problems.NotFound(AgentAccess.NotFoundMessage(agentId));
        }

        // An id the agent does not hold is refused before anything is written.
        if (!agent.Memory.Exists(m => m.Id == factId) || !await EntityCalls.CallAsync<bool>(client, AgentEntity.Id(agentId), nameof(AgentEntity.Forget), factId, cancellationToken))
        {
            return Problems.NotFound($"Agent '{agentId}' remembers no fact '{factId}'.");
        }

        await audit.AppendAsync(new AuditRecord(DateTimeOffset.UtcNow, caller.Actor, "memory.deleted", agentId, factId, null, TokenAuthenticator.AddressOf(req.HttpContext), "ok"), cancellationToken);
        return Results.NoContent();
    }
}
