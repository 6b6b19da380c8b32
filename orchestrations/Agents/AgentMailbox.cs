using Serverless.DurableTask;
using Serverless.DurableTask.Client;

namespace CompanyHub.Orchestrations.Agents;

/// <summary>Sending messages to an agent's mailbox from outside orchestrations (HTTP functions, activities).</summary>
public static class AgentMailbox
{
    /// <summary>Starts the agent's mailbox orchestration unless it is already running; returns its instance id.</summary>
    public static async Task<string> EnsureStartedAsync(DurableTaskClient client, string agentId, CancellationToken cancellationToken)
    {
        var id = AgentMailboxOrchestration.InstanceId(agentId);
        var existing = await client.GetInstanceAsync(id, cancellation: cancellationToken).ConfigureAwait(false);
        if (existing is null || existing.IsCompleted)
        {
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(AgentMailboxOrchestration), agentId, new StartOrchestrationOptions(id), cancellationToken).ConfigureAwait(false);
            }
            catch (OrchestrationAlreadyExistsException)
            {
                // Started concurrently: fine.
            }
        }

        return id;
    }

    /// <summary>Queues a turn; turns of one agent run one at a time, in the order they were queued.</summary>
    public static async Task<string> SendAsync(DurableTaskClient client, TurnRequest turn, CancellationToken cancellationToken)
    {
        var mailbox = await EnsureStartedAsync(client, turn.AgentId, cancellationToken).ConfigureAwait(false);
        await client.RaiseEventAsync(mailbox, AgentMailboxOrchestration.TurnEvent, turn, cancellationToken).ConfigureAwait(false);
        return turn.TurnId;
    }
}
