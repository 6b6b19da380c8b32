using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Entities;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>The agent entity on the running hub: one operation at a time per agent, and its state outlives the process.</summary>
public sealed class AgentEntityHubTests
{
    [Fact]
    public async Task ConcurrentSignals_OnOneAgent_RunOneAtATime_NoUpdateIsLost()
    {
        await using var tools = await ToolHub.StartAsync(Tools.None);
        var agentId = await tools.OnboardWithDevSignInAsync("hana@company.com", "Hana");
        var client = tools.Hub.Client;
        var id = AgentEntity.Id(agentId);
        var before = (await client.Entities.GetEntityAsync<AgentState>(id))!.State;
        const int Writers = 8;
        const int PerWriter = 25;

        // Eight writers signal at once: each conversation append reads and bumps NextSeq, each inbox add appends to a
        // list. Interleaved operations would lose updates or hand out a sequence number twice.
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                await client.Entities.SignalEntityAsync(id, nameof(AgentEntity.AppendConversation),
                    new List<ConversationMessage> { new(0, "user", $"w{w}-{i}", DateTimeOffset.UtcNow) });
                await client.Entities.SignalEntityAsync(id, nameof(AgentEntity.AddInbox), new InboxMessage($"m-{w}-{i}", "orchestrator", $"note {w}-{i}", DateTimeOffset.UtcNow));
            }
        })));

        const int Total = Writers * PerWriter;
        AgentState state = before;
        await ToolHub.WaitUntilAsync(() =>
        {
            state = client.Entities.GetEntityAsync<AgentState>(id).GetAwaiter().GetResult()!.State;
            return state.NextSeq == before.NextSeq + Total && state.Inbox.Count == before.Inbox.Count + Total;
        }, "every signal to be applied");

        var appended = state.Conversation.Where(m => m.Text.StartsWith('w')).ToList();
        Assert.Equal(Math.Min(Total, AgentState.MaxConversation), appended.Count);
        Assert.Equal(appended.Count, appended.Select(m => m.Seq).Distinct().Count());
        Assert.Equal(Enumerable.Range((int)(state.NextSeq - appended.Count), appended.Count).Select(n => (long)n), appended.Select(m => m.Seq));
        Assert.Equal(Total, state.Inbox.Select(m => m.Id).Distinct().Count(i => i.StartsWith("m-", StringComparison.Ordinal)));

        // Each writer's own messages kept their order.
        foreach (var w in Enumerable.Range(0, Writers))
        {
            var mine = appended.Where(m => m.Text.StartsWith($"w{w}-", StringComparison.Ordinal)).Select(m => int.Parse(m.Text[(m.Text.IndexOf('-', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(mine.Order(), mine);
        }
    }

    [Fact]
    public async Task AgentState_SurvivesARestart_TokenProposalsInboxAndDirectory()
    {
        await using var tools = await ToolHub.StartAsync(Tools.None);
        var agentId = await tools.OnboardWithDevSignInAsync("ivan@company.com", "Ivan");
        var peerId = await tools.OnboardWithDevSignInAsync("judy@company.com", "Judy");
        JsonObject agentBefore, peerInboxMessage;
        string pending, rejected;
        JsonArray proposalsBefore, agentsBefore;
        using (var ivan = tools.User(agentId))
        using (var judy = tools.User(peerId))
        using (var admin = tools.Admin())
        {
            var delivered = await ToolHub.ProposeAsync(judy, peerId, ProposalTypes.MessageAgent, new JsonObject { ["agentId"] = agentId, ["text"] = "Lunch on Friday?" });
            await ToolHub.DecideOkAsync(judy, delivered, "approve");
            await ToolHub.WaitForStatusAsync(judy, delivered, ProposalStatus.Succeeded);
            rejected = await ToolHub.ProposeAsync(ivan, agentId, ProposalTypes.MessageAgent, new JsonObject { ["agentId"] = peerId, ["text"] = "No." });
            await ToolHub.DecideOkAsync(ivan, rejected, "reject", reason: "too short");
            pending = await ToolHub.ProposeAsync(ivan, agentId, ProposalTypes.MessageAgent, new JsonObject { ["agentId"] = peerId, ["text"] = "Yes, 12:30." });
            await ToolHub.WaitForStatusAsync(ivan, pending, ProposalStatus.Pending);
            await ToolHub.WaitUntilAsync(() =>
            {
                var list = ivan.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals").GetAwaiter().GetResult()!;
                var inbox = ivan.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/inbox").GetAwaiter().GetResult()!;
                return list.Count == 2 && list.Any(p => p!["status"]!.GetValue<string>() == ProposalStatus.Rejected) && inbox.Count == 1;
            }, "the agent's lists to settle");

            agentBefore = (await ivan.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}"))!;
            proposalsBefore = (await ivan.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals"))!;
            peerInboxMessage = (await ivan.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/inbox"))![0]!.AsObject();
            agentsBefore = (await admin.GetFromJsonAsync<JsonArray>("/api/agents"))!;
        }

        await tools.RestartAsync();

        using var ivanAgain = tools.User(agentId);
        using var adminAgain = tools.Admin();
        Assert.Equal(HttpStatusCode.OK, (await ivanAgain.GetAsync("/api/me")).StatusCode);
        var agentAfter = (await ivanAgain.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}"))!;
        Assert.Equal(Without(agentBefore, "lastActiveAt", "working"), Without(agentAfter, "lastActiveAt", "working"));
        Assert.Equal(proposalsBefore.ToJsonString(), (await ivanAgain.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals"))!.ToJsonString());
        Assert.Equal(peerInboxMessage.ToJsonString(), (await ivanAgain.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/inbox"))![0]!.ToJsonString());
        Assert.Equal(
            agentsBefore.Select(a => (a!["agentId"]!.GetValue<string>(), a["status"]!.GetValue<string>())),
            (await adminAgain.GetFromJsonAsync<JsonArray>("/api/agents"))!.Select(a => (a!["agentId"]!.GetValue<string>(), a["status"]!.GetValue<string>())));
        Assert.Equal(ProposalStatus.Rejected, ToolHub.Status(await ToolHub.GetProposalAsync(ivanAgain, rejected)));

        // The proposal that was waiting still waits for its person, and runs when approved.
        await ToolHub.DecideOkAsync(ivanAgain, pending, "approve");
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(ivanAgain, pending)));
        using var judyAgain = tools.User(peerId);
        await ToolHub.WaitUntilAsync(
            () => judyAgain.GetFromJsonAsync<JsonArray>($"/api/agents/{peerId}/inbox").GetAwaiter().GetResult()!.Any(m => m!["text"]!.GetValue<string>() == "Yes, 12:30."),
            "the approved message in Judy's inbox");
    }

    private static string Without(JsonObject json, params string[] fields)
    {
        var copy = (JsonObject)json.DeepClone();
        foreach (var field in fields)
        {
            copy.Remove(field);
        }

        return copy.ToJsonString();
    }
}
