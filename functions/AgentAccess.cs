using CompanyHub.Entities;
using CompanyHub.Security;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Functions;

/// <summary>Loads an agent for a caller: null (→ 404) when it does not exist or is not the caller's.</summary>
public static class AgentAccess
{
    public static async Task<AgentState?> LoadAsync(DurableTaskClient client, Caller caller, string agentId, CancellationToken cancellationToken)
    {
        if (!caller.CanAccess(agentId))
        {
            return null;
        }

        var entity = await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(agentId), cancellationToken);
        return entity?.State;
    }

    public static string NotFoundMessage(string agentId) => $"No agent '{agentId}' is visible to you.";

    /// <summary>Loads an agent the caller may act for: a 404 problem when it is not visible, a 409 when it is disabled.</summary>
    public static async Task<(AgentState? Agent, Microsoft.AspNetCore.Http.IResult? Problem)> LoadActiveAsync(DurableTaskClient client, Caller caller, string agentId, CancellationToken cancellationToken)
    {
        var agent = await LoadAsync(client, caller, agentId, cancellationToken);
        if (agent is null)
        {
            return (null, Problems.NotFound(NotFoundMessage(agentId)));
        }

        return agent.Status == AgentStatus.Active ? (agent, null) : (null, Problems.Conflict($"Agent '{agentId}' is disabled.", new { agentStatus = "disabled" }));
    }
}
