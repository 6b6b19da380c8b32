using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Google;
using CompanyHub.Fakes.Notion;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// The tools of issue 21 end to end in a chat turn (the model is a fake): a read answers at once, a write becomes a
/// proposal, and once approved the fake service records exactly the request the tool stands for.
/// </summary>
public sealed class MoreToolsHttpTests
{
    [Fact]
    public async Task ChatTurn_SearchShowsLabelNames_ReplyToAMessage_ApprovedEmailGoesIntoItsThreadWithInReplyTo()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var tools = await ToolHub.StartAsync(Tools.Google, Llm(llm));
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice Example");
        var clients = tools.Google.Account("alice@company.com").AddLabel("Clients/Acme");
        var original = tools.Google.Account("alice@company.com").AddMessage(new FakeGmailMessage
        {
            From = "Sarah <sarah@acme.com>",
            Subject = "Offer",
            Body = "Can you send the offer?",
            ThreadId = "thread-acme-offer",
            MessageId = "<offer-1@mail.acme.com>",
            Labels = ["INBOX", clients],
        });
        llm.Then(FakeOpenAi.Reply.Call("gmail_search", new JsonObject { ["query"] = "from:sarah@acme.com" }))
            .Then(FakeOpenAi.Reply.Call("send_email", new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = "Re: Offer", ["body"] = "Here it is.", ["replyToMessageId"] = original }))
            .Then(FakeOpenAi.Reply.Text("The reply waits for your approval."));
        using var alice = tools.User(agentId);

        var id = await ProposeInChatAsync(alice, agentId, llm, "Answer Sarah's offer email.", ProposalTypes.SendEmail);
        var found = AgentToolsHttpTests.LastToolResult(llm.Requests.ToArray()[1]);
        Assert.Contains("\"labels\":[\"INBOX\",\"Clients/Acme\"]", found, StringComparison.Ordinal);
        Assert.Contains($"**In reply to:** {original}", (await ToolHub.GetProposalAsync(alice, id))["card"]!.GetValue<string>(), StringComparison.Ordinal);
        await ToolHub.DecideOkAsync(alice, id, "approve");
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, id)));

        var sent = Assert.Single(tools.Google.SentEmails);
        Assert.Equal("thread-acme-offer", sent.ThreadId);
        Assert.Equal("thread-acme-offer", tools.Google.RequestsTo(GoogleEndpoints.GmailSend).Single().Json()!["threadId"]!.GetValue<string>());
        Assert.Equal("<offer-1@mail.acme.com>", sent.Header("In-Reply-To"));
        Assert.Equal("<offer-1@mail.acme.com>", sent.Header("References"));
        Assert.Equal("Here it is.", sent.Body);
    }

    [Fact]
    public async Task ChatTurn_ReplyToAMessageThatIsGone_FailsSayingSo_AndSendsNothing()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var tools = await ToolHub.StartAsync(Tools.Google, Llm(llm));
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice Example");
        llm.Then(FakeOpenAi.Reply.Call("send_email", new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = "Re: Offer", ["body"] = "Here it is.", ["replyToMessageId"] = "no-such-message" }))
            .Then(FakeOpenAi.Reply.Text("The reply waits for your approval."));
        using var alice = tools.User(agentId);

        var id = await ProposeInChatAsync(alice, agentId, llm, "Answer Sarah.", ProposalTypes.SendEmail);
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.Equal(ProposalStatus.Failed, ToolHub.Status(done));
        Assert.StartsWith("Gmail answered 404", done["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailSend));
    }

    [Fact]
    public async Task ChatTurn_ColleaguesFreeBusyIsRead_InvitationAnsweredOnApproval()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var tools = await ToolHub.StartAsync(Tools.Google, Llm(llm));
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice Example");
        var day = new DateTimeOffset(2030, 3, 4, 0, 0, 0, TimeSpan.Zero);
        tools.Google.AddAccount("bob@company.com").AddEvent("Bob's private review", day.AddHours(10), day.AddHours(11));
        var invitation = tools.Google.Account("alice@company.com").AddInvitation("Acme review", day.AddHours(10), day.AddHours(11), "sarah@acme.com");
        llm.Then(FakeOpenAi.Reply.Call("calendar_free_busy", new JsonObject { ["emails"] = "bob@company.com", ["timeMin"] = "2030-03-04T00:00:00Z", ["timeMax"] = "2030-03-05T00:00:00Z" }))
            .Then(FakeOpenAi.Reply.Call("respond_calendar_event", new JsonObject { ["eventId"] = invitation, ["response"] = "declined" }))
            .Then(FakeOpenAi.Reply.Text("Bob is busy then; declining waits for your approval."));
        using var alice = tools.User(agentId);

        var id = await ProposeInChatAsync(alice, agentId, llm, "Is Bob free for the Acme review? If not, decline it.", ProposalTypes.RespondCalendarEvent);
        var busy = AgentToolsHttpTests.LastToolResult(llm.Requests.ToArray()[1]);
        Assert.Contains("2030-03-04T10:00:00+00:00", busy, StringComparison.Ordinal);
        Assert.DoesNotContain("private review", busy, StringComparison.Ordinal);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.CalendarPatch));
        await ToolHub.DecideOkAsync(alice, id, "approve");
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, id)));

        var patch = tools.Google.RequestsTo(GoogleEndpoints.CalendarPatch).Single();
        Assert.Equal($"/calendar/v3/calendars/primary/events/{invitation}", patch.Path);
        Assert.Equal(["accepted", "declined"], patch.Json()!["attendees"]!.AsArray().Select(a => a!["responseStatus"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ChatTurn_AttioTasksAndNotesAreRead_TaskCompletedAndRecordCreatedOnApproval()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var tools = await ToolHub.StartAsync(Tools.Attio, Llm(llm));
        var agentId = await tools.OnboardWithDevSignInAsync("kim@company.com", "Kim");
        var sarah = tools.Attio.AddRecord("people", new JsonObject { ["email_addresses"] = new JsonArray("sarah@acme.com") });
        var task = tools.Attio.AddTask("Call Sarah back", linkedObject: "people", linkedRecordId: sarah);
        tools.Attio.AddTask("Already done", completed: true);
        tools.Attio.AddNote("people", sarah, "Intro call", "Wants a demo in May.");
        llm.Then(FakeOpenAi.Reply.Call("attio_list_tasks", new JsonObject { ["object"] = "people", ["recordId"] = sarah }))
            .Then(FakeOpenAi.Reply.Call("attio_list_notes", new JsonObject { ["object"] = "people", ["recordId"] = sarah }))
            .Then(FakeOpenAi.Reply.Call("complete_attio_task", new JsonObject { ["taskId"] = task }))
            .Then(FakeOpenAi.Reply.Call("create_attio_record", new JsonObject { ["object"] = "deals", ["values"] = new JsonObject { ["name"] = "Acme demo", ["stage"] = "Lead" } }))
            .Then(FakeOpenAi.Reply.Text("Two proposals wait for you."));
        using var kim = tools.User(agentId);

        var sent = await kim.PostAsJsonAsync($"/api/agents/{agentId}/messages", new { text = "What is open with Sarah? Close the call task and open a deal." });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        await ToolHub.WaitUntilAsync(() => llm.Requests.Count == 5, "the turn's five model calls");
        var requests = llm.Requests.ToArray();
        var listed = AgentToolsHttpTests.LastToolResult(requests[1]);
        Assert.Contains("Call Sarah back", listed, StringComparison.Ordinal);
        Assert.DoesNotContain("Already done", listed, StringComparison.Ordinal);
        Assert.Contains("Wants a demo in May.", AgentToolsHttpTests.LastToolResult(requests[2]), StringComparison.Ordinal);
        Assert.Equal(0, tools.Attio.CallCount(AttioEndpoints.TasksUpdate) + tools.Attio.CallCount(AttioEndpoints.RecordsCreate));

        JsonArray proposals = [];
        await ToolHub.WaitUntilAsync(() => (proposals = kim.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals").GetAwaiter().GetResult()!).Count == 2, "the two proposals");
        foreach (var proposal in proposals)
        {
            var id = proposal!["proposalId"]!.GetValue<string>();
            await ToolHub.DecideOkAsync(kim, id, "approve");
            Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(kim, id)));
        }

        Assert.True(Assert.Single(tools.Attio.Tasks, t => t["id"]!["task_id"]!.GetValue<string>() == task)["is_completed"]!.GetValue<bool>());
        Assert.Equal("""{"data":{"is_completed":true}}""", tools.Attio.RequestsTo(AttioEndpoints.TasksUpdate).Single().Json()!.ToJsonString());
        Assert.Equal(1, tools.Attio.RecordCount("deals"));
        Assert.Equal("/v2/objects/deals/records", tools.Attio.RequestsTo(AttioEndpoints.RecordsCreate).Single().Path);
    }

    [Fact]
    public async Task ChatTurn_NotionBlocksAppendedAndPageArchivedOnApproval()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var tools = await ToolHub.StartAsync(Tools.Notion, Llm(llm));
        var agentId = await tools.OnboardWithDevSignInAsync("kim@company.com", "Kim");
        var plan = tools.Notion.AddPage(null, "Plan");
        var old = tools.Notion.AddPage(null, "Old plan", "Outdated.");
        llm.Then(FakeOpenAi.Reply.Call("append_notion_blocks", new JsonObject
            {
                ["pageId"] = plan,
                ["blocks"] = new JsonArray(
                    new JsonObject { ["type"] = "heading_2", ["text"] = "Next steps" },
                    new JsonObject { ["type"] = "to_do", ["text"] = "Send the offer" },
                    new JsonObject { ["type"] = "bulleted_list_item", ["text"] = "Budget agreed" }),
            }))
            .Then(FakeOpenAi.Reply.Call("archive_notion_page", new JsonObject { ["pageId"] = old }))
            .Then(FakeOpenAi.Reply.Text("Both wait for your approval."));
        using var kim = tools.User(agentId);

        var sent = await kim.PostAsJsonAsync($"/api/agents/{agentId}/messages", new { text = "Write the next steps into the plan and archive the old one." });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        JsonArray proposals = [];
        await ToolHub.WaitUntilAsync(() => (proposals = kim.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals").GetAwaiter().GetResult()!).Count == 2, "the two proposals");
        var append = proposals.Single(p => p!["type"]!.GetValue<string>() == ProposalTypes.AppendNotionBlocks)!["proposalId"]!.GetValue<string>();
        Assert.Contains("> ## Next steps\n> [ ] Send the offer\n> - Budget agreed\n", (await ToolHub.GetProposalAsync(kim, append))["card"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, tools.Notion.CallCount(NotionEndpoints.BlocksChildrenAppend) + tools.Notion.CallCount(NotionEndpoints.PagesUpdate));

        foreach (var proposal in proposals)
        {
            var id = proposal!["proposalId"]!.GetValue<string>();
            await ToolHub.DecideOkAsync(kim, id, "approve");
            Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(kim, id)));
        }

        var children = tools.Notion.RequestsTo(NotionEndpoints.BlocksChildrenAppend).Single().Json()!["children"]!.AsArray();
        Assert.Equal(["heading_2", "to_do", "bulleted_list_item"], children.Select(b => b!["type"]!.GetValue<string>()));
        Assert.False(children[1]!["to_do"]!["checked"]!.GetValue<bool>());
        Assert.Equal(["Next steps", "Send the offer", "Budget agreed"], tools.Notion.GetBlocks(plan).Select(ProposalCases.BlockText));
        Assert.True(tools.Notion.RequestsTo(NotionEndpoints.PagesUpdate).Single().Json()!["in_trash"]!.GetValue<bool>());
        Assert.True(tools.Notion.GetPage(old)!["in_trash"]!.GetValue<bool>());
    }

    private static KeyValuePair<string, string?>[] Llm(FakeOpenAi llm) =>
        [new("REDPILL_API_KEY", "test-llm-key"), new("LLM_BASE_URL", llm.BaseUrl), new("LLM_MODEL", "test-model")];

    /// <summary>Sends a chat message whose turn makes one proposal of <paramref name="type"/>; returns its id.</summary>
    private static async Task<string> ProposeInChatAsync(HttpClient http, string agentId, FakeOpenAi llm, string text, string type)
    {
        var sent = await http.PostAsJsonAsync($"/api/agents/{agentId}/messages", new { text });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        JsonArray proposals = [];
        await ToolHub.WaitUntilAsync(() => (proposals = http.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals").GetAwaiter().GetResult()!).Count == 1, "the proposal in the agent's list");
        Assert.Equal(type, proposals.Single()!["type"]!.GetValue<string>());
        return proposals.Single()!["proposalId"]!.GetValue<string>();
    }
}
