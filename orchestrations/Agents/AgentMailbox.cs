using Microsoft.DurableTask.Client;

namespace CompanyHub.Orchestrations.Agents;

/// <summary>Sending messages to an agent's mailbox from outside orchestrations (HTTP functions, activities).</summary>
public static class AgentMailbox
{
    /// <summary>Starts the agent's mailbox orchestration unless it is already running; returns its instance id.</summary>
    public static Task<string> EnsureStartedAsync(DurableTaskClient client, string agentId, CancellationToken cancellationToken) =>
        client.StartOnceAsync(nameof(AgentMailboxOrchestration), agentId, AgentMailboxOrchestration.InstanceId(agentId), restartIfFinished: true, cancellationToken);

    /// <summary>Queues a turn; turns of one agent run one at a time, in the order they were queued.</summary>
    public static async Task<string> SendAsync(DurableTaskClient client, TurnRequest turn, CancellationToken cancellationToken)
    {
        var mailbox = await EnsureStartedAsync(client, turn.AgentId, cancellationToken).ConfigureAwait(false);
        await client.RaiseEventAsync(mailbox, AgentMailboxOrchestration.TurnEvent, turn, cancellationToken).ConfigureAwait(false);
        return turn.TurnId;
    }
}
