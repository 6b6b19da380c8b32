using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Orchestrations.Agents;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace CompanyHub.Tests;

public sealed class AgentTurnTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReadTool_ResultGoesBackToTheModel_AndReplyLandsInConversation()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Then(FakeOpenAi.Reply.Call("gmail_search", new JsonObject { ["query"] = "from:sarah" }))
           .Then(FakeOpenAi.Reply.Text("You have 2 emails from Sarah."));
        var reads = new RecordingReads("2 messages: m1 'Q2 plan', m2 'Lunch'");
        await using var hub = await AppHub.StartAsync(new NoActions(), llmBaseUrl: llm.BaseUrl, reads: reads);
        await CreateAgentAsync(hub, "alice");

        var result = await TurnAsync(hub, "alice-example-com", "Any mail from Sarah?");

        Assert.Equal("You have 2 emails from Sarah.", result.Reply);
        Assert.Equal(1, result.ToolRounds);
        Assert.Equal(("alice-example-com", "gmail_search", "from:sarah"), reads.Calls.Single());
        var second = llm.Requests.ElementAt(1)["messages"]!.AsArray();
        Assert.Contains(second, m => m!["role"]!.GetValue<string>() == "tool" && m["content"]!.GetValue<string>().Contains("Q2 plan", StringComparison.Ordinal));
        var state = await AgentAsync(hub, "alice-example-com");
        Assert.Equal(["user", "assistant"], state.Conversation.Select(m => m.Role));
        Assert.Null(state.WorkingTurnId);
    }

    [Fact]
    public async Task WriteTool_CreatesProposal_AndNeverRunsBeforeApproval()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Then(FakeOpenAi.Reply.Call("send_email", new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = "Follow-up", ["body"] = "Hi Sarah" }))
           .Then(request => FakeOpenAi.Reply.Text("Proposed. " + LastToolText(request)));
        var actions = new CountingActions();
        await using var hub = await AppHub.StartAsync(actions, llmBaseUrl: llm.BaseUrl);
        await CreateAgentAsync(hub, "alice");

        var result = await TurnAsync(hub, "alice-example-com", "Email Sarah a follow-up");

        var proposalId = Assert.Single(result.Proposals);
        Assert.Contains($"Proposal {proposalId}", result.Reply, StringComparison.Ordinal);
        Assert.Contains("awaits Alice's approval", result.Reply, StringComparison.Ordinal);
        var proposal = await hub.Client.GetInstanceAsync(proposalId, getInputsAndOutputs: true);
        Assert.Equal(ProposalStatus.Pending, proposal!.ReadCustomStatusAs<ProposalView>()!.Status);
        Assert.Equal(0, actions.Count);

        await hub.Client.RaiseEventAsync(proposalId, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Approve));
        using var cts = new CancellationTokenSource(Wait);
        var done = await hub.Client.WaitForInstanceCompletionAsync(proposalId, true, cts.Token);
        Assert.Equal(ProposalStatus.Succeeded, done.ReadOutputAs<ProposalView>()!.Status);
        Assert.Equal(1, actions.Count);
    }

    [Fact]
    public async Task PeerRequest_IsAnsweredByThePeersAgent_IntoTheSendersInbox_OnceThePeersPersonApproves()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Then(FakeOpenAi.Reply.Call("sessions_send", new JsonObject { ["agentId"] = "bob-example-com", ["message"] = "What's the Acme deal status?" }))
           .Then(FakeOpenAi.Reply.Text("I've asked Bob's agent."))
           .Then(request => FakeOpenAi.Reply.Text(Contains(request, "Acme deal") ? "Acme Corp: $50k, Negotiation" : "unexpected"));
        await using var hub = await AppHub.StartAsync(new NoActions(), llmBaseUrl: llm.BaseUrl);
        await CreateAgentAsync(hub, "alice");
        await CreateAgentAsync(hub, "bob");

        var result = await TurnAsync(hub, "alice-example-com", "Ask Bob about Acme");
        var proposalId = Assert.Single(result.Proposals);
        await hub.Client.RaiseEventAsync(proposalId, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Approve));

        // Bob's agent answers in a turn of its own; the answer waits for Bob.
        var bobWaiting = await WaitForAgentAsync(hub, "bob-example-com", s => s.Proposals.Any(p => p.Type == ProposalTypes.ReplyAgent));
        var replyId = bobWaiting.Proposals.Single(p => p.Type == ProposalTypes.ReplyAgent).ProposalId;
        Assert.Empty((await AgentAsync(hub, "alice-example-com")).Inbox);
        await hub.Client.RaiseEventAsync(replyId, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Approve));

        var alice = await WaitForAgentAsync(hub, "alice-example-com", s => s.Inbox.Count > 0);
        Assert.Equal("bob-example-com", alice.Inbox[0].FromAgentId);
        Assert.Equal("Acme Corp: $50k, Negotiation", alice.Inbox[0].Text);
        Assert.Equal(proposalId, alice.Inbox[0].InReplyTo);
        var bob = await AgentAsync(hub, "bob-example-com");
        Assert.Contains(bob.Conversation, m => m.Role == "peer" && m.Text.Contains("Acme deal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Remember_IsKeptAtOnce_ButATurnAnotherAgentStarted_NeitherSeesNorWritesTheMemory()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Then(FakeOpenAi.Reply.Call("remember", new JsonObject { ["fact"] = "Alice's door code is 4711." }))
           .Then(FakeOpenAi.Reply.Text("Noted."))
           .Then(FakeOpenAi.Reply.Call("remember", new JsonObject { ["fact"] = "Bob was here." }))
           .Then(FakeOpenAi.Reply.Text("Nothing to share."));
        await using var hub = await AppHub.StartAsync(new NoActions(), llmBaseUrl: llm.BaseUrl);
        await CreateAgentAsync(hub, "alice");
        await CreateAgentAsync(hub, "bob");

        await TurnAsync(hub, "alice-example-com", "Remember my door code: 4711.");
        var fact = Assert.Single((await AgentAsync(hub, "alice-example-com")).Memory);
        Assert.Equal("Alice's door code is 4711.", fact.Text);

        await TurnAsync(hub, "alice-example-com", "What do you remember about me?", TurnSource.Peer, "bob-example-com");
        var peerTurn = llm.Requests.ElementAt(2);
        var system = peerTurn["messages"]!.AsArray()[0]!["content"]!.GetValue<string>();
        Assert.DoesNotContain("4711", system, StringComparison.Ordinal);
        Assert.Contains(SystemPrompts.SafetyRules, system, StringComparison.Ordinal);
        Assert.Contains("This message comes from another agent", system, StringComparison.Ordinal);
        Assert.DoesNotContain(peerTurn["tools"]!.AsArray(), t => t!["function"]!["name"]!.GetValue<string>() == "remember");
        Assert.Contains("not available while you answer another agent", LastToolText(llm.Requests.ElementAt(3)), StringComparison.Ordinal);
        Assert.Equal([fact], (await AgentAsync(hub, "alice-example-com")).Memory);
    }

    [Fact]
    public async Task EndlessToolCalls_StopAtTheRoundLimit()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Default = _ => FakeOpenAi.Reply.Call("list_agents", []);
        await using var hub = await AppHub.StartAsync(new NoActions(), llmBaseUrl: llm.BaseUrl);
        await CreateAgentAsync(hub, "alice");

        var result = await TurnAsync(hub, "alice-example-com", "loop forever");

        Assert.Equal(AgentTurnOrchestration.MaxToolRounds, result.ToolRounds);
        Assert.Contains("stopped after", result.Reply, StringComparison.Ordinal);
        Assert.Equal(AgentTurnOrchestration.MaxToolRounds + 1, llm.Requests.Count);
    }

    [Fact]
    public async Task Llm5xx_IsRetried_ThenAnswers()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Then(FakeOpenAi.Reply.Error(503)).Then(FakeOpenAi.Reply.Text("Back online."));
        await using var hub = await AppHub.StartAsync(new NoActions(), llmBaseUrl: llm.BaseUrl);
        await CreateAgentAsync(hub, "alice");

        var result = await TurnAsync(hub, "alice-example-com", "hello");

        Assert.Equal("Back online.", result.Reply);
        Assert.Equal(2, llm.Requests.Count);
    }

    [Fact]
    public async Task LlmTimeoutEveryTime_GivesAClearFailureMessage()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Default = _ => new FakeOpenAi.Reply("late", Delay: TimeSpan.FromSeconds(3));
        await using var hub = await AppHub.StartAsync(new NoActions(), llmBaseUrl: llm.BaseUrl, llmTimeout: TimeSpan.FromMilliseconds(300));
        await CreateAgentAsync(hub, "alice");

        var result = await TurnAsync(hub, "alice-example-com", "hello");

        Assert.StartsWith("I could not reach the language model", result.Reply, StringComparison.Ordinal);
        Assert.Equal(3, llm.Requests.Count);
        var state = await AgentAsync(hub, "alice-example-com");
        Assert.Equal(result.Reply, state.Conversation.Last().Text);
    }

    [Fact]
    public async Task NoLlmKey_AnswersLlmNotConfigured()
    {
        await using var hub = await AppHub.StartAsync(new NoActions());
        await CreateAgentAsync(hub, "alice");

        var result = await TurnAsync(hub, "alice-example-com", "hello");

        Assert.StartsWith("LLM not configured", result.Reply, StringComparison.Ordinal);
        Assert.Contains("REDPILL_API_KEY", result.Reply, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MessagesToOneAgent_AreProcessedInOrder()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Default = request => FakeOpenAi.Reply.Text("echo: " + request["messages"]!.AsArray().Last()!["content"]!.GetValue<string>());
        await using var hub = await AppHub.StartAsync(new NoActions(), llmBaseUrl: llm.BaseUrl);
        await CreateAgentAsync(hub, "alice");

        var turns = new List<string>();
        for (var i = 1; i <= 4; i++)
        {
            turns.Add(await AgentMailbox.SendAsync(hub.Client, new TurnRequest($"t{i}-{Guid.NewGuid():N}", "alice-example-com", $"message {i}", TurnSource.User), CancellationToken.None));
        }

        var state = await WaitForAgentAsync(hub, "alice-example-com", s => s.Conversation.Count == 8);
        Assert.Equal(
            ["message 1", "echo: message 1", "message 2", "echo: message 2", "message 3", "echo: message 3", "message 4", "echo: message 4"],
            state.Conversation.Select(m => m.Text));
    }

    [Fact]
    public async Task HostRestartDuringTurn_ResumesAndCompletesTheTurn()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Then(new FakeOpenAi.Reply("slow", Delay: TimeSpan.FromSeconds(20))).Then(FakeOpenAi.Reply.Text("answered after restart"));
        var directory = Path.Combine(Path.GetTempPath(), "hub-app-tests", Guid.NewGuid().ToString("N"));
        var turnId = $"t-{Guid.NewGuid():N}";
        await using (var first = await AppHub.StartAsync(new NoActions(), directory, llm.BaseUrl, llmTimeout: TimeSpan.FromSeconds(60)))
        {
            await CreateAgentAsync(first, "alice");
            await AgentMailbox.SendAsync(first.Client, new TurnRequest(turnId, "alice-example-com", "hello", TurnSource.User), CancellationToken.None);
            using var cts = new CancellationTokenSource(Wait);
            while (llm.Requests.IsEmpty)
            {
                await Task.Delay(20, cts.Token);
            }
        }

        await using var second = await AppHub.StartAsync(new NoActions(), directory, llm.BaseUrl);
        using var wait = new CancellationTokenSource(Wait);
        var done = await second.Client.WaitForInstanceCompletionAsync(turnId, true, wait.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("answered after restart", done.ReadOutputAs<TurnResult>()!.Reply);
    }

    [Fact]
    public async Task Orchestrator_ProposesAnOnboarding_AdminApproves_OnboardingStarts()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Then(request => request.ToJsonString().Contains("start_onboarding", StringComparison.Ordinal)
                ? FakeOpenAi.Reply.Call("start_onboarding", new JsonObject { ["email"] = "dana@example.com", ["name"] = "Dana" })
                : FakeOpenAi.Reply.Text("the orchestrator was not offered start_onboarding"))
           .Then(FakeOpenAi.Reply.Text("I've proposed inviting Dana."));
        await using var hub = await AppHub.StartAsync(new NoActions(), llmBaseUrl: llm.BaseUrl);
        await hub.Client.Entities.SignalEntityAsync(AgentEntity.Id("orchestrator"), nameof(AgentEntity.Create),
            new AgentProfile("orchestrator", "", "Company Hub", new AgentIdentity("Company Hub", "Helpful admin assistant."), ["*"], AgentAutonomy.AlwaysAsk, "/data/workspaces/orchestrator"));
        await WaitForAgentAsync(hub, "orchestrator", _ => true);

        var result = await TurnAsync(hub, "orchestrator", "Please onboard dana@example.com");
        var proposalId = Assert.Single(result.Proposals);
        await hub.Client.RaiseEventAsync(proposalId, ApprovalDecision.EventName, new ApprovalDecision(ApprovalDecision.Approve, DecidedBy: "admin"));
        using var cts = new CancellationTokenSource(Wait);
        var done = await hub.Client.WaitForInstanceCompletionAsync(proposalId, true, cts.Token);

        Assert.Equal(ProposalStatus.Succeeded, done.ReadOutputAs<ProposalView>()!.Status);
        var onboarding = await hub.Client.GetInstanceAsync($"onboarding-{proposalId}", true, cts.Token);
        Assert.NotNull(onboarding);
        Assert.Equal("dana@example.com", onboarding.ReadInputAs<CompanyHub.Orchestrations.Onboarding.OnboardingRequest>()!.Email);
    }

    [Fact]
    public async Task WorkerAgent_IsNotOfferedOrchestratorTools()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        llm.Then(FakeOpenAi.Reply.Call("broadcast", new JsonObject { ["text"] = "hi all" })).Then(request => FakeOpenAi.Reply.Text(LastToolText(request)));
        await using var hub = await AppHub.StartAsync(new NoActions(), llmBaseUrl: llm.BaseUrl);
        await CreateAgentAsync(hub, "alice");

        var result = await TurnAsync(hub, "alice-example-com", "broadcast something");

        Assert.Empty(result.Proposals);
        Assert.Contains("not available to this agent", result.Reply, StringComparison.Ordinal);
        var offered = llm.Requests.First()["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>()).ToList();
        Assert.DoesNotContain("broadcast", offered);
        Assert.DoesNotContain("start_onboarding", offered);
        Assert.Contains("sessions_send", offered);
    }

    internal static async Task CreateAgentAsync(AppHub hub, string name)
    {
        var id = $"{name}-example-com";
        var display = char.ToUpperInvariant(name[0]) + name[1..];
        await hub.Client.Entities.SignalEntityAsync(AgentEntity.Id(id), nameof(AgentEntity.Create),
            new AgentProfile(id, $"{name}@example.com", display, new AgentIdentity($"{display}'s Assistant", "Helpful and brief."), ["orchestrator", "*"], AgentAutonomy.AlwaysAsk, $"/data/workspaces/{id}"));
        await hub.Client.Entities.SignalEntityAsync(DirectoryEntity.Id, nameof(DirectoryEntity.Register),
            new DirectoryEntry(id, $"{name}@example.com", display, AgentStatus.Active, null, DateTimeOffset.UtcNow));
        await WaitForAgentAsync(hub, id, _ => true);
    }

    internal static async Task<TurnResult> TurnAsync(AppHub hub, string agentId, string text, string source = TurnSource.User, string? fromAgentId = null)
    {
        var turnId = await AgentMailbox.SendAsync(hub.Client, new TurnRequest($"t-{Guid.NewGuid():N}", agentId, text, source, fromAgentId), CancellationToken.None);
        using var cts = new CancellationTokenSource(Wait);
        while (await hub.Client.GetInstanceAsync(turnId, cancellation: cts.Token) is null)
        {
            await Task.Delay(10, cts.Token);
        }

        var done = await hub.Client.WaitForInstanceCompletionAsync(turnId, true, cts.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        return done.ReadOutputAs<TurnResult>()!;
    }

    internal static async Task<AgentState> AgentAsync(AppHub hub, string agentId) =>
        (await hub.Client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(agentId)))!.State!;

    private static async Task<AgentState> WaitForAgentAsync(AppHub hub, string agentId, Func<AgentState, bool> condition)
    {
        using var cts = new CancellationTokenSource(Wait);
        while (true)
        {
            var entity = await hub.Client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(agentId), cts.Token);
            if (entity?.State is { } state && condition(state))
            {
                return state;
            }

            await Task.Delay(20, cts.Token);
        }
    }

    private static string LastToolText(JsonObject request) =>
        request["messages"]!.AsArray().Last(m => m!["role"]!.GetValue<string>() == "tool")!["content"]!.GetValue<string>();

    private static bool Contains(JsonObject request, string text) => request.ToJsonString().Contains(text, StringComparison.Ordinal);

    private sealed class NoActions : IProposalActionRunner
    {
        public Task<ActionResult> RunAsync(ActionRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("no action should run in this test");
    }

    private sealed class CountingActions : IProposalActionRunner
    {
        private int _count;

        public int Count => _count;

        public Task<ActionResult> RunAsync(ActionRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return Task.FromResult(new ActionResult(true, "sent"));
        }
    }

    private sealed class RecordingReads(string answer) : IReadToolRunner
    {
        public ConcurrentQueue<(string, string, string)> Calls { get; } = new();

        public Task<string> RunAsync(string agentId, string tool, JsonObject arguments, CancellationToken cancellationToken)
        {
            Calls.Enqueue((agentId, tool, arguments["query"]?.GetValue<string>() ?? ""));
            return Task.FromResult(answer);
        }
    }
}
