using System.Text.Json.Nodes;
using CompanyHub.Entities;
using CompanyHub.Integrations.Llm;
using CompanyHub.Integrations.Storage;
using CompanyHub.Orchestrations;
using CompanyHub.Orchestrations.Agents;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace CompanyHub.Activities;

/// <summary>A transient model failure: the turn's retry policy tries again.</summary>
public sealed class LlmTransientException(string message) : Exception(message);

/// <summary>The input of <see cref="CallLlm"/>.</summary>
public sealed record LlmCall(IReadOnlyList<LlmMessage> Messages, IReadOnlyList<LlmTool> Tools);

/// <summary>One completion of the model.</summary>
public sealed class CallLlm(ILlmClient llm) : TaskActivity<LlmCall, LlmResponse>
{
    public const string Name = nameof(CallLlm);

    public override async Task<LlmResponse> RunAsync(TaskActivityContext context, LlmCall input)
    {
        try
        {
            return await llm.CompleteAsync(input.Messages, input.Tools, context.CancellationToken());
        }
        catch (LlmException ex) when (ex.IsTransient)
        {
            throw new LlmTransientException(ex.Message);
        }
    }
}

/// <summary>Runs a read tool for an agent and returns its result as text for the model.</summary>
public interface IReadToolRunner
{
    Task<string> RunAsync(string agentId, string tool, JsonObject arguments, CancellationToken cancellationToken);
}

/// <summary>The input of <see cref="RunReadTool"/>.</summary>
public sealed record ReadToolCall(string AgentId, string Tool, JsonObject Arguments);

/// <summary>A read tool: free, runs at once. Failures are answered as text so that the model can react.</summary>
public sealed class RunReadTool(IReadToolRunner runner) : TaskActivity<ReadToolCall, string>
{
    public const string Name = nameof(RunReadTool);

    public override async Task<string> RunAsync(TaskActivityContext context, ReadToolCall input)
    {
        try
        {
            return AgentTools.Truncate(await runner.RunAsync(input.AgentId, input.Tool, input.Arguments, context.CancellationToken()));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return $"Error from {input.Tool}: {ex.Message}";
        }
    }
}

/// <summary>What <see cref="CreateProposal"/> did: started the proposal, or refused it and why.</summary>
public sealed record ProposalCreation(string ProposalId, string? Refused = null);

/// <summary>
/// Starts the approval orchestration of a proposal (idempotent: the proposal id is the instance id), unless its tool
/// cannot run here (no credentials, no Google account): then it says so, and nothing waits for an approval in vain.
/// </summary>
public sealed class CreateProposal(DurableTaskClient client, IOptions<ApprovalOptions> approvals, Integrations.ToolAvailability? tools = null, Integrations.ProposalPreparation? preparation = null) : TaskActivity<ProposalRequest, ProposalCreation>
{
    public const string Name = nameof(CreateProposal);

    public override async Task<ProposalCreation> RunAsync(TaskActivityContext context, ProposalRequest input)
    {
        // A proposal drafted by an orchestration carries no expiry yet: it starts from now and the approval options.
        if (input.ExpiresAt == default)
        {
            input = input with { ExpiresAt = DateTimeOffset.UtcNow + approvals.Value.Expiry };
        }

        if (await client.GetInstanceAsync(input.ProposalId, cancellation: context.CancellationToken()) is not null)
        {
            return new ProposalCreation(input.ProposalId);
        }

        if (tools?.WhyNot(input.Type) is { } notConfigured)
        {
            return new ProposalCreation(input.ProposalId, notConfigured);
        }

        if (tools is not null && Integrations.ToolAvailability.NeedsGoogleAccount(input.Type)
            && (await client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(input.AgentId), context.CancellationToken()))?.State is { SealedGoogleRefreshToken: null } agent)
        {
            return new ProposalCreation(input.ProposalId, $"{agent.Name} has not connected a Google account, so Gmail and Calendar are not available.");
        }

        if (preparation is not null)
        {
            var prepared = await preparation.PrepareAsync(input.AgentId, input.Type, input.Payload, context.CancellationToken());
            if (prepared.Refused is { } refused)
            {
                return new ProposalCreation(input.ProposalId, refused);
            }

            input = input with { Payload = prepared.Payload! };
        }

        await client.StartOnceAsync(nameof(ApprovalOrchestration), input, input.ProposalId, restartIfFinished: false, context.CancellationToken());
        return new ProposalCreation(input.ProposalId);
    }
}

/// <summary>Makes sure an agent's mailbox orchestration runs, so that events sent to it are not dropped.</summary>
public sealed class EnsureMailbox(DurableTaskClient client) : TaskActivity<string, string>
{
    public const string Name = nameof(EnsureMailbox);

    public override Task<string> RunAsync(TaskActivityContext context, string input) => AgentMailbox.EnsureStartedAsync(client, input, context.CancellationToken());
}

/// <summary>Starts a background turn (sessions_spawn); it runs beside the agent's mailbox and reports into the conversation.</summary>
public sealed class StartBackgroundTurn(DurableTaskClient client) : TaskActivity<TurnRequest, string>
{
    public const string Name = nameof(StartBackgroundTurn);

    public override Task<string> RunAsync(TaskActivityContext context, TurnRequest input) =>
        client.StartOnceAsync(nameof(AgentTurnOrchestration), input, input.TurnId, restartIfFinished: false, context.CancellationToken());
}

/// <summary>The input of <see cref="ArchiveConversation"/>.</summary>
public sealed record ArchiveRequest(string AgentId, IReadOnlyList<ConversationMessage> Messages);

/// <summary>Copies conversation messages to the archive that pages the whole conversation.</summary>
public sealed class ArchiveConversation(IConversationArchive archive) : TaskActivity<ArchiveRequest, int>
{
    public const string Name = nameof(ArchiveConversation);

    public override async Task<int> RunAsync(TaskActivityContext context, ArchiveRequest input)
    {
        await archive.AppendAsync(input.AgentId, input.Messages, context.CancellationToken());
        return input.Messages.Count;
    }
}
