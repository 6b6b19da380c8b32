using CompanyHub.Entities;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace CompanyHub.Activities;

/// <summary>The input of <see cref="PrepareGrantCheck"/>.</summary>
public sealed record GrantCheckRequest(string AgentId, string Type);

/// <summary>
/// What a grant check needs besides the agent's grants: the company's ceiling for the type, the undo window and how long
/// an inverse stays available (recorded in the history; 0 in histories from before inverses: none is offered).
/// </summary>
public sealed record GrantCheck(GrantCeiling? Ceiling, double UndoSeconds, double InverseSeconds = 0);

/// <summary>
/// Before a proposal looks for a grant: null when its agent has no active grant of the type (it waits as always),
/// otherwise the ceiling and undo window the claim uses.
/// </summary>
public sealed class PrepareGrantCheck(DurableTaskClient client, IOptions<ApprovalOptions> approvals) : TaskActivity<GrantCheckRequest, GrantCheck?>
{
    public const string Name = nameof(PrepareGrantCheck);

    public override async Task<GrantCheck?> RunAsync(TaskActivityContext context, GrantCheckRequest input)
    {
        var agent = (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(input.AgentId), context.CancellationToken()))?.State;
        if (agent is null || !agent.Grants.Any(g => g.Type == input.Type && g.IsActive(DateTimeOffset.UtcNow)))
        {
            return null;
        }

        var policy = (await client.Entities.GetEntityAsync<GrantPolicyState>(GrantPolicyEntity.Id, context.CancellationToken()))?.State;
        return new GrantCheck(policy?.Ceilings.GetValueOrDefault(input.Type), approvals.Value.GrantUndoWindow.TotalSeconds, approvals.Value.GrantInverseWindow.TotalSeconds);
    }
}
