using System.Text.Json;
using System.Text.Json.Nodes;
using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Integrations.Llm;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.DurableTask;

namespace CompanyHub.Orchestrations.Agents;

/// <summary>
/// One chat turn: the model is called (an activity, retried on transient errors); read tools run as activities and
/// their results go back to the model; write tools become proposals and the model is told they await approval; the
/// reply ends the turn and is appended to the conversation. A turn another agent started works without the person's
/// own accounts (<see cref="AgentTools.For(AgentState, string)"/>), and its answer to that agent is a proposal the
/// person approves, edits or rejects: data leaves an agent toward someone else only with its person's consent.
/// </summary>
public sealed class AgentTurnOrchestration : TaskOrchestrator<TurnRequest, TurnResult>
{
    public const int MaxToolRounds = 8;
    public const int MaxHops = 3;
    public const int ContextMessages = 30;

    private static readonly TaskOptions LlmRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(1), 2.0)
    {
        HandleFailure = f => f.IsCausedBy<LlmTransientException>(),
    });

    public override async Task<TurnResult> RunAsync(TaskOrchestrationContext context, TurnRequest input)
    {
        var agent = await context.Entities.CallEntityAsync<AgentState?>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.Get));
        if (agent is null || agent.Status != AgentStatus.Active)
        {
            return new TurnResult(input.TurnId, "", 0, [], $"Agent '{input.AgentId}' is not active.");
        }

        var incoming = new ConversationMessage(0, RoleOf(input), Describe(input), Now(context), input.TurnId);
        var begun = await context.Entities.CallEntityAsync<List<ConversationMessage>>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.BeginTurn), incoming);
        await context.CallActivityAsync<int>(ArchiveConversation.Name, new ArchiveRequest(input.AgentId, begun));

        var persona = await PersonaAsync(context, agent.AgentId);
        var messages = new List<LlmMessage> { LlmMessage.System(SystemPrompts.For(agent, Now(context), input.Source, persona)) };
        foreach (var m in agent.Conversation.TakeLast(ContextMessages))
        {
            messages.Add(m.Role == "assistant" ? LlmMessage.Assistant(m.Text) : LlmMessage.User(m.Role == "user" ? m.Text : $"[{m.Role}] {m.Text}"));
        }

        messages.Add(LlmMessage.User(incoming.Role == "user" ? input.Text : incoming.Text));
        var offered = AgentTools.For(agent, input.Source);
        var tools = offered.Select(t => t.ToLlmTool()).ToList();
        var proposals = new List<string>();
        string reply;
        string? error = null;
        var rounds = 0;

        // Bounded: each pass answers, fails, or spends one of MaxToolRounds rounds (which the analyzer cannot see).
#pragma warning disable DURABLE0011
        while (true)
#pragma warning restore DURABLE0011
        {
            LlmResponse response;
            try
            {
                response = await context.CallActivityAsync<LlmResponse>(CallLlm.Name, new LlmCall(messages, tools), LlmRetry);
            }
            catch (TaskFailedException ex)
            {
                error = ex.FailureDetails.ErrorMessage;
                reply = error.Contains("not configured", StringComparison.OrdinalIgnoreCase)
                    ? $"LLM not configured: {error}"
                    : $"I could not reach the language model, so I could not answer. ({error})";
                break;
            }

            if (response.ToolCalls.Count == 0)
            {
                reply = string.IsNullOrWhiteSpace(response.Content) ? "(no answer)" : response.Content;
                break;
            }

            if (rounds == MaxToolRounds)
            {
                reply = $"I stopped after {MaxToolRounds} rounds of tool calls without reaching an answer. Please narrow the request.";
                break;
            }

            rounds++;
            messages.Add(LlmMessage.Assistant(response.Content, response.ToolCalls));
            foreach (var call in response.ToolCalls)
            {
                var result = offered.Any(t => t.Name == call.Name)
                    ? await RunToolAsync(context, agent, input, call, proposals)
                    : AgentTools.StartedByAnotherAgent(input.Source) && AgentTools.For(agent.AgentId).Any(t => t.Name == call.Name)
                        ? $"Error: '{call.Name}' is not available while you answer another agent: {agent.Name}'s own data is not read for others."
                        : $"Error: the tool '{call.Name}' is not available to this agent.";
                messages.Add(LlmMessage.Tool(call.Id, result));
            }
        }

        var outgoing = new ConversationMessage(0, "assistant", reply, Now(context), input.TurnId);
        var ended = await context.Entities.CallEntityAsync<List<ConversationMessage>>(AgentEntity.Id(input.AgentId), nameof(AgentEntity.EndTurn), outgoing);
        await context.CallActivityAsync<int>(ArchiveConversation.Name, new ArchiveRequest(input.AgentId, ended));
        if (input.TelegramChatId is { } chat)
        {
            // The answer goes back where the message came from, as the dashboard shows it.
            await context.CallActivityAsync<string>(QueueTelegram.Name, new TelegramDelivery($"{input.TurnId}-telegram", new Channels.TelegramOutgoing(chat, reply)));
        }

        if (input.Source == TurnSource.Peer && input.FromAgentId is { } sender && error is null)
        {
            // The answer may carry what the agent knows of its person (the conversation it sees): it goes to the
            // agent that asked only when the person approves it, as any write does. A turn the model could not
            // answer proposes nothing: its failure is in the person's conversation.
            var payload = new JsonObject { ["agentId"] = sender, ["text"] = reply, ["question"] = input.Text };
            if (input.ReplyTo is { } replyTo)
            {
                payload["replyTo"] = replyTo;
            }

            var answerId = $"p-{context.NewGuid():N}";
            var created = await context.CallActivityAsync<ProposalCreation>(CreateProposal.Name,
                new ProposalRequest(answerId, agent.AgentId, agent.Email, ProposalTypes.ReplyAgent, payload, ProposedBy.Agent(agent.AgentId), ExpiresAt: default));
            if (created.Refused is null)
            {
                proposals.Add(answerId);
            }
        }

        return new TurnResult(input.TurnId, reply, rounds, proposals, error);
    }

    private async Task<string> RunToolAsync(TaskOrchestrationContext context, AgentState agent, TurnRequest input, LlmToolCall call, List<string> proposals)
    {
        var tool = AgentTools.Find(call.Name);
        if (tool is null)
        {
            return $"Error: there is no tool named '{call.Name}'.";
        }

        JsonObject arguments;
        try
        {
            arguments = JsonNode.Parse(string.IsNullOrWhiteSpace(call.Arguments) ? "{}" : call.Arguments) as JsonObject ?? [];
        }
        catch (JsonException ex)
        {
            return $"Error: the arguments of {call.Name} are not valid JSON ({ex.Message}).";
        }

        switch (tool.Class)
        {
            case ToolClass.Read:
                return await context.CallActivityAsync<string>(RunReadTool.Name, new ReadToolCall(agent.AgentId, tool.Name, arguments));
            case ToolClass.Directory:
                var directory = await context.Entities.CallEntityAsync<DirectoryState>(DirectoryEntity.Id, nameof(DirectoryEntity.Get));
                return AgentTools.Truncate(JsonSerializer.Serialize(directory.Agents.Values.Select(a => new { a.AgentId, a.Name, a.Email, Status = a.Status.ToString() })));
            case ToolClass.Spawn:
                var task = arguments["task"]?.GetValue<string>();
                if (string.IsNullOrWhiteSpace(task))
                {
                    return "Error: sessions_spawn needs a task.";
                }

                var spawnId = $"spawn-{context.NewGuid():N}";
                await context.CallActivityAsync<string>(StartBackgroundTurn.Name, new TurnRequest(spawnId, agent.AgentId, task, TurnSource.Spawn));
                return $"Background task {spawnId} started; its result will be posted to the conversation when it is done.";
            case ToolClass.Write:
                return await ProposeAsync(context, agent, input, tool, arguments, proposals);
            case ToolClass.Memory:
                return await RememberAsync(context, agent, input, arguments);
            default:
                return "Error: unsupported tool.";
        }
    }

    private async Task<string> ProposeAsync(TaskOrchestrationContext context, AgentState agent, TurnRequest input, ToolSpec tool, JsonObject arguments, List<string> proposals)
    {
        var payload = AgentTools.ToPayload(tool, arguments);
        var errors = ProposalValidator.Validate(tool.ProposalType, payload);
        if (errors.Count > 0)
        {
            return "Error: the proposal is not valid: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
        }

        if (tool.ProposalType == ProposalTypes.MessageAgent)
        {
            var target = ProposalValidator.Text(payload, "agentId")!;
            if (agent.WhyNotAllowedToMessage(target) is { } notAllowed)
            {
                return "Error: " + notAllowed;
            }

            if (target == agent.AgentId)
            {
                return "Error: an agent cannot message itself.";
            }

            if (input.Hops >= MaxHops)
            {
                return $"Error: this conversation between agents has gone {input.Hops} hops; answer with what you have instead of messaging again.";
            }

            var peer = await context.Entities.CallEntityAsync<AgentState?>(AgentEntity.Id(target), nameof(AgentEntity.Get));
            if (peer is null || peer.Status != AgentStatus.Active)
            {
                return $"Error: there is no active agent '{target}'. Use list_agents.";
            }

            payload["hops"] = input.Hops + 1;
        }

        var proposalId = $"p-{context.NewGuid():N}";
        var by = input.Source == TurnSource.Peer && input.FromAgentId is { } from ? ProposedBy.Peer(from) : ProposedBy.Agent(agent.AgentId);
        // Orchestrators are created without services (as Microsoft's worker creates them): the activity sets the
        // proposal's expiry from the approval options.
        // A standing grant covers what the agent proposes for its own person, never what a turn another agent started proposes.
        var grantsApply = !AgentTools.StartedByAnotherAgent(input.Source);
        var created = await context.CallActivityAsync<ProposalCreation>(CreateProposal.Name,
            new ProposalRequest(proposalId, agent.AgentId, agent.Email, tool.ProposalType!, payload, by, ExpiresAt: default) { GrantsApply = grantsApply });
        if (created.Refused is { } refused)
        {
            return $"Error: {refused} Nothing was proposed.";
        }

        proposals.Add(proposalId);
        if (grantsApply && agent.Grants.Any(g => g.Type == tool.ProposalType && g.IsActive(new DateTimeOffset(context.CurrentUtcDateTime, TimeSpan.Zero))))
        {
            return $"Proposal {proposalId} ({ProposalCard.Title(tool.ProposalType!, payload)}) runs under {agent.Name}'s standing grant if the grant's bounds cover it; otherwise it awaits their approval.";
        }

        return $"Proposal {proposalId} ({ProposalCard.Title(tool.ProposalType!, payload)}) awaits {agent.Name}'s approval. Nothing has been done yet; it runs only if they approve.";
    }

    /// <summary>The persona of the agent's prompt: its own latest version, else (for a worker agent) the admin's default, else none.</summary>
    private static async Task<PersonaVersion?> PersonaAsync(TaskOrchestrationContext context, string agentId)
    {
        var own = await context.Entities.CallEntityAsync<PersonaState?>(PersonaEntity.Id(agentId), nameof(PersonaEntity.Get));
        if (own?.Current is not null || agentId == SystemPrompts.OrchestratorId)
        {
            return own?.Current;
        }

        return (await context.Entities.CallEntityAsync<PersonaState?>(PersonaEntity.Id(PersonaEntity.DefaultKey), nameof(PersonaEntity.Get)))?.Current;
    }

    /// <summary>
    /// Keeps a fact in the agent's memory at once: it is internal to the agent (nothing leaves it), and the person sees
    /// and deletes it on their dashboard. Never reached in a turn another agent started (the tool is not offered there).
    /// </summary>
    private static async Task<string> RememberAsync(TaskOrchestrationContext context, AgentState agent, TurnRequest input, JsonObject arguments)
    {
        var fact = ProposalValidator.Text(arguments, "fact")?.Trim();
        if (string.IsNullOrEmpty(fact) || fact.Length > AgentState.MaxMemoryText || FreeText.HasControlCharacters(fact))
        {
            return $"Error: remember needs a fact of 1 to {AgentState.MaxMemoryText} characters without control characters.";
        }

        var id = $"m-{context.NewGuid():N}";
        var refused = await context.Entities.CallEntityAsync<string?>(AgentEntity.Id(agent.AgentId), nameof(AgentEntity.Remember), new MemoryFact(id, fact, Now(context), input.TurnId));
        if (refused is not null)
        {
            return "Error: " + refused;
        }

        // The audit log says that the agent remembered something, not what: the fact is the person's.
        await context.CallActivityAsync<bool>(RecordAudit.Name, new Security.AuditRecord(Now(context), $"agent:{agent.AgentId}", "memory.remembered", agent.AgentId, id, $"{fact.Length} characters", null, "ok"));
        return $"Remembered ({id}). {agent.Name} can see and delete it on their dashboard.";
    }

    private static string RoleOf(TurnRequest input) => input.Source switch
    {
        TurnSource.Peer => "peer",
        TurnSource.Spawn => "task",
        TurnSource.Broadcast => "broadcast",
        _ => "user",
    };

    private static string Describe(TurnRequest input) => input.Source switch
    {
        TurnSource.Peer => $"Message from {input.FromAgentId}: {input.Text}",
        TurnSource.Spawn => $"Background task: {input.Text}",
        TurnSource.Broadcast => $"Announcement from {input.FromAgentId ?? "the admin"}: {input.Text}",
        _ => input.Text,
    };

    private static DateTimeOffset Now(TaskOrchestrationContext context) => new(context.CurrentUtcDateTime, TimeSpan.Zero);
}
