using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Orchestrations.Agents;
using Microsoft.DurableTask;

namespace CompanyHub.Orchestrations;

/// <summary>What to announce, and who announces it.</summary>
public sealed record BroadcastRequest(string Text, string From);

/// <summary>
/// Sends one message to every active agent (fan-out): it lands in each inbox and each agent thinks about it in a turn
/// of its own (its reads are free; its writes still need its person).
/// </summary>
public sealed class BroadcastOrchestration : TaskOrchestrator<BroadcastRequest, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, BroadcastRequest input)
    {
        var directory = await context.Entities.CallEntityAsync<DirectoryState>(DirectoryEntity.Id, nameof(DirectoryEntity.Get));
        var targets = directory.Agents.Values.Where(a => a.Status == AgentStatus.Active && a.AgentId != SystemPrompts.OrchestratorId).Select(a => a.AgentId).OrderBy(a => a, StringComparer.Ordinal).ToList();
        context.SetCustomStatus(new { agents = targets.Count, delivered = 0 });
        var mailboxes = await Task.WhenAll(targets.Select(agentId => context.CallActivityAsync<string>(EnsureMailbox.Name, agentId)));
        for (var i = 0; i < targets.Count; i++)
        {
            var now = new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero);
            await context.Entities.SignalEntityAsync(AgentEntity.Id(targets[i]), nameof(AgentEntity.AddInbox), new InboxMessage($"{context.InstanceId}-{i}", input.From, input.Text, now));
            context.SendEvent(mailboxes[i], AgentMailboxOrchestration.TurnEvent, new TurnRequest($"{context.InstanceId}-{targets[i]}", targets[i], input.Text, TurnSource.Broadcast, input.From));
        }

        context.SetCustomStatus(new { agents = targets.Count, delivered = targets.Count });
        return targets.Count;
    }
}
