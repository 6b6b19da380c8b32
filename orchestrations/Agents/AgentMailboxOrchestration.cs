using Microsoft.DurableTask;

namespace CompanyHub.Orchestrations.Agents;

/// <summary>
/// One per agent (instance <c>mailbox-&lt;agentId&gt;</c>): takes <c>Turn</c> events in the order they arrived and runs
/// them one at a time as sub-orchestrations, so an agent never thinks about two messages at once. It restarts itself
/// after each turn (ContinueAsNew), carrying waiting messages over, so its history stays short.
/// </summary>
public sealed class AgentMailboxOrchestration : TaskOrchestrator<string, int>
{
    public const string TurnEvent = "Turn";

    public static string InstanceId(string agentId) => $"mailbox-{agentId}";

    public override async Task<int> RunAsync(TaskOrchestrationContext context, string input)
    {
        context.SetCustomStatus("idle");
        var turn = await context.WaitForExternalEvent<TurnRequest>(TurnEvent);
        context.SetCustomStatus(new { working = turn.TurnId });
        try
        {
            await context.CallSubOrchestratorAsync<TurnResult>(nameof(AgentTurnOrchestration), turn, new SubOrchestrationOptions(instanceId: turn.TurnId));
        }
        catch (TaskFailedException)
        {
            // The turn recorded its own failure in the conversation; the mailbox goes on with the next message.
        }

        context.ContinueAsNew(input);
        return 0;
    }
}
