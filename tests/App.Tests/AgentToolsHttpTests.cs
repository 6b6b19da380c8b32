using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Notion;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>The agent's own tools in a chat turn (the model is a fake): reads answer at once, writes become proposals.</summary>
public sealed class AgentToolsHttpTests
{
    [Fact]
    public async Task ChatTurn_ReadRunsAtOnce_WriteBecomesAProposal_UnconfiguredToolIsRefused()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var tools = await ToolHub.StartAsync(Tools.Notion, [new("REDPILL_API_KEY", "test-llm-key"), new("LLM_BASE_URL", llm.BaseUrl), new("LLM_MODEL", "test-model")]);
        var agentId = await tools.OnboardWithDevSignInAsync("kim@company.com", "Kim");
        var wiki = tools.Notion.AddPage(null, "Team Wiki", "Welcome.");
        llm.Then(FakeOpenAi.Reply.Call("notion_search", new JsonObject { ["query"] = "Team Wiki" }))
            .Then(FakeOpenAi.Reply.Call("send_email", new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = "Hi", ["body"] = "Hello" }))
            .Then(FakeOpenAi.Reply.Call("create_notion_page", new JsonObject { ["parentPageId"] = wiki, ["title"] = "Meeting notes", ["content"] = "Agreed." }))
            .Then(FakeOpenAi.Reply.Text("I proposed the page; it waits for your approval."));
        using var kim = tools.User(agentId);

        var sent = await kim.PostAsJsonAsync($"/api/agents/{agentId}/messages", new { text = "Find the wiki, email Sarah, and write the meeting notes." });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        await ToolHub.WaitUntilAsync(() => llm.Requests.Count == 4, "the turn's four model calls");

        var requests = llm.Requests.ToArray();
        Assert.Contains("Team Wiki", LastToolResult(requests[1]), StringComparison.Ordinal);
        Assert.Contains("Gmail is not configured", LastToolResult(requests[2]), StringComparison.Ordinal);
        Assert.Contains("awaits", LastToolResult(requests[3]), StringComparison.Ordinal);

        JsonArray proposals = [];
        await ToolHub.WaitUntilAsync(() => (proposals = kim.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals").GetAwaiter().GetResult()!).Count == 1, "the proposal in the agent's list");
        var proposal = proposals.Single()!;
        Assert.Equal(ProposalTypes.CreateNotionPage, proposal["type"]!.GetValue<string>());
        Assert.Equal(ProposalStatus.Pending, proposal["status"]!.GetValue<string>());
        Assert.Equal(0, tools.Notion.CallCount(NotionEndpoints.PagesCreate));

        var id = proposal["proposalId"]!.GetValue<string>();
        var view = await ToolHub.GetProposalAsync(kim, id);
        Assert.Equal("agent", view["proposedBy"]!["kind"]!.GetValue<string>());
        await ToolHub.DecideOkAsync(kim, id, "approve");
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(kim, id)));
        Assert.Equal(1, tools.Notion.CallCount(NotionEndpoints.PagesCreate));
    }

    internal static string LastToolResult(JsonObject request) =>
        request["messages"]!.AsArray().Last(m => m!["role"]!.GetValue<string>() == "tool")!["content"]!.ToString();
}
