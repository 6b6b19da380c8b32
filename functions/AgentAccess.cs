using CompanyHub.Entities;
using CompanyHub.Security;
using Serverless.DurableTask.Client;

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

        var entity = await client.Entities.GetEntityAsync(AgentEntity.Id(agentId), true, cancellationToken);
        return entity?.ReadStateAs<AgentState>();
    }

    public static string NotFoundMessage(string agentId) => $"No agent '{agentId}' is visible to you.";
}
