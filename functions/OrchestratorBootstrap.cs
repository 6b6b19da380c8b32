using CompanyHub.Entities;
using CompanyHub.Orchestrations.Agents;
using Microsoft.Extensions.Hosting;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Functions;

/// <summary>Makes sure the orchestrator agent (<c>agent@orchestrator</c>, "Company Hub") exists from the first start.</summary>
public sealed class OrchestratorBootstrap(DurableTaskClient client) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var id = AgentEntity.Id(SystemPrompts.OrchestratorId);
        if ((await client.Entities.GetEntityAsync(id, false, cancellationToken)) is not null)
        {
            return;
        }

        var profile = new AgentProfile(SystemPrompts.OrchestratorId, "", "Company Hub", new AgentIdentity("Company Hub", "Helpful admin assistant."),
            ["*"], AgentAutonomy.AlwaysAsk, "/data/workspaces/orchestrator");
        await client.Entities.SignalEntityAsync(id, nameof(AgentEntity.Create), profile, cancellation: cancellationToken);
        await client.Entities.SignalEntityAsync(DirectoryEntity.Id, nameof(DirectoryEntity.Register),
            new DirectoryEntry(SystemPrompts.OrchestratorId, "", "Company Hub", AgentStatus.Active, null, DateTimeOffset.UtcNow), cancellation: cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
