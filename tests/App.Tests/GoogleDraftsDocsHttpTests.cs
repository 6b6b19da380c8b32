using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Google;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// Gmail drafts (list, create, send a draft) and a new Google Doc through the HTTP API and a chat turn (the model is a
/// fake): every write waits for the person, and once approved the fake records exactly what was approved — and a draft
/// that changed since it was proposed is not sent.
/// </summary>
public sealed class GoogleDraftsDocsHttpTests
{
    private const string Alice = "alice@company.com";
    private const string Compose = "https://www.googleapis.com/auth/gmail.compose";

    [Fact]
    public async Task ChatTurn_DraftsAreListed_AReplyDraftIsSavedInTheThreadOnApproval_NothingIsSent()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var tools = await ToolHub.StartAsync(Tools.Google, Llm(llm));
        var agentId = await tools.OnboardWithGoogleAsync(Alice, "Alice Example");
        var mailbox = tools.Google.Account(Alice);
        mailbox.AddDraft(new FakeGmailMessage { From = Alice, To = "bob@company.com", Subject = "Budget notes", Body = "Half-written budget notes." });
        var original = mailbox.AddMessage(new FakeGmailMessage { From = "Sarah <sarah@acme.com>", Subject = "Offer", Body = "Can you send the offer?", ThreadId = "thread-offer", MessageId = "<offer-1@mail.acme.com>" });
        llm.Then(FakeOpenAi.Reply.Call("gmail_list_drafts", new JsonObject()))
            .Then(FakeOpenAi.Reply.Call("create_gmail_draft", new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = "Re: Offer", ["body"] = "Draft of the offer.", ["replyToMessageId"] = original }))
            .Then(FakeOpenAi.Reply.Text("The draft waits for your approval."));
        using var alice = tools.User(agentId);

        var sent = await alice.PostAsJsonAsync($"/api/agents/{agentId}/messages", new { text = "What drafts do I have? Draft an answer to Sarah." });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var id = await OnlyProposalAsync(alice, agentId, ProposalTypes.CreateGmailDraft);
        var listed = AgentToolsHttpTests.LastToolResult(llm.Requests.ToArray()[1]);
        Assert.Contains("\"subject\":\"Budget notes\"", listed, StringComparison.Ordinal);
        Assert.Contains("\"to\":\"bob@company.com\"", listed, StringComparison.Ordinal);
        Assert.Contains("Half-written budget notes.", listed, StringComparison.Ordinal);
        var card = (await ToolHub.GetProposalAsync(alice, id))["card"]!.GetValue<string>();
        Assert.Contains("**Type:** Create Gmail Draft", card, StringComparison.Ordinal);
        Assert.Contains("nothing is sent", card, StringComparison.Ordinal);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailDraftsCreate));

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        var draft = Assert.Single(mailbox.Drafts, d => d.Subject == "Re: Offer");
        Assert.Equal("thread-offer", draft.ThreadId);
        Assert.Equal("sarah@acme.com", draft.To);
        Assert.Equal("Draft of the offer.", draft.Body);
        Assert.Contains(draft.Id, done["result"]!.GetValue<string>(), StringComparison.Ordinal);
        var raw = tools.Google.RequestsTo(GoogleEndpoints.GmailDraftsCreate).Single().Json()!["message"]!;
        Assert.Equal("thread-offer", raw["threadId"]!.GetValue<string>());
        Assert.Contains("In-Reply-To: <offer-1@mail.acme.com>", System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(raw["raw"]!.GetValue<string>())), StringComparison.Ordinal);
        Assert.Empty(tools.Google.SentEmails);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailDraftsSend) + tools.Google.CallCount(GoogleEndpoints.GmailSend));
    }

    [Fact]
    public async Task SendDraft_TheCardShowsTheDraftAsRead_ApprovedItIsSentOnce_RejectedNothingIsSent()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, ToolHub.PersonLimitsLifted);
        var agentId = await tools.OnboardWithGoogleAsync(Alice, "Alice Example");
        var mailbox = tools.Google.Account(Alice);
        var draftId = mailbox.AddDraft(new FakeGmailMessage { From = Alice, To = "sarah@acme.com", Cc = "bob@company.com", Subject = "Offer", Body = "Here is the offer.\nBest, Alice" });
        var other = mailbox.AddDraft(new FakeGmailMessage { From = Alice, To = "sarah@acme.com", Subject = "Not this one", Body = "Keep me." });
        using var alice = tools.User(agentId);

        // What the API caller says of the draft is replaced by what Gmail has.
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendGmailDraft, new JsonObject { ["draftId"] = draftId, ["subject"] = "Something else" });
        var pending = await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        var card = pending["card"]!.GetValue<string>();
        Assert.Contains("**To:** sarah@acme.com\n**Cc:** bob@company.com\n**Subject:** Offer\n", card, StringComparison.Ordinal);
        Assert.Contains("> Here is the offer.\n> Best, Alice\n", card, StringComparison.Ordinal);
        Assert.Equal(mailbox.Drafts.Single(d => d.Id == draftId).MessageId, pending["payload"]!["messageId"]!.GetValue<string>());
        var rejected = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendGmailDraft, new JsonObject { ["draftId"] = other });

        await ToolHub.DecideOkAsync(alice, rejected, "reject", reason: "not yet");
        Assert.Equal(ProposalStatus.Rejected, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, rejected)));
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        var mail = Assert.Single(tools.Google.SentEmails);
        Assert.Equal("Offer", mail.Subject);
        Assert.Equal(["sarah@acme.com"], mail.To);
        Assert.Equal("Here is the offer.\nBest, Alice", mail.Body);
        Assert.Equal($$"""{"id":"{{draftId}}"}""", tools.Google.RequestsTo(GoogleEndpoints.GmailDraftsSend).Single().Json()!.ToJsonString());
        Assert.Equal([other], mailbox.Drafts.Select(d => d.Id));
    }

    [Fact]
    public async Task SendDraft_InsideAGrantsDomains_RunsAfterTheUndoWindow_ABccOutsideWaitsForThePerson()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, new("Grants:UndoSeconds", "1")]);
        var agentId = await tools.OnboardWithGoogleAsync(Alice, "Alice Example");
        var mailbox = tools.Google.Account(Alice);
        var inside = mailbox.AddDraft(new FakeGmailMessage { From = Alice, To = "Sarah Client <sarah@acme.com>", Subject = "Weekly update", Body = "All on track." });
        var outside = mailbox.AddDraft(new FakeGmailMessage { From = Alice, To = "sarah@acme.com", Bcc = "mallory@elsewhere.example", Subject = "Numbers", Body = "Q3 numbers." });
        using var alice = tools.User(agentId);
        var grantId = (await GrantHttpTests.CreateGrantAsync(alice, agentId, GrantHttpTests.Grant(ProposalTypes.SendGmailDraft, new JsonObject { ["domains"] = new JsonArray("acme.com") }, 5)))["grantId"]!.GetValue<string>();

        var covered = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendGmailDraft, new JsonObject { ["draftId"] = inside });
        var waits = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendGmailDraft, new JsonObject { ["draftId"] = outside });
        var done = await ToolHub.WaitForFinalAsync(alice, covered);
        var waiting = await ToolHub.WaitForProposalAsync(alice, waits, p => p["grantNote"] is not null);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(grantId, done["grant"]!.GetValue<string>());
        Assert.Equal("sarah@acme.com", done["payload"]!["to"]!.GetValue<string>());
        Assert.Single(tools.Google.SentEmails, m => m.Subject == "Weekly update");
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(waiting));
        Assert.Contains("mallory@elsewhere.example", waiting["grantNote"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("**Bcc:** mallory@elsewhere.example\n", waiting["card"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, tools.Google.CallCount(GoogleEndpoints.GmailDraftsSend));
    }

    [Fact]
    public async Task SendDraft_ChangedOrDeletedInGmailAfterTheProposal_FailsSayingSo_AndNothingIsSent()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, ToolHub.PersonLimitsLifted);
        var agentId = await tools.OnboardWithGoogleAsync(Alice, "Alice Example");
        var mailbox = tools.Google.Account(Alice);
        var changed = mailbox.AddDraft(new FakeGmailMessage { From = Alice, To = "sarah@acme.com", Subject = "Offer", Body = "Price: 10k." });
        var deleted = mailbox.AddDraft(new FakeGmailMessage { From = Alice, To = "sarah@acme.com", Subject = "Old offer", Body = "Price: 8k." });
        using var alice = tools.User(agentId);
        var changedId = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendGmailDraft, new JsonObject { ["draftId"] = changed });
        var deletedId = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendGmailDraft, new JsonObject { ["draftId"] = deleted });
        await ToolHub.WaitForStatusAsync(alice, changedId, ProposalStatus.Pending);
        await ToolHub.WaitForStatusAsync(alice, deletedId, ProposalStatus.Pending);

        mailbox.ReplaceDraft(changed, body: "Price: 20k.");
        mailbox.DeleteDraft(deleted);
        await ToolHub.DecideOkAsync(alice, changedId, "approve");
        await ToolHub.DecideOkAsync(alice, deletedId, "approve");
        var whenChanged = await ToolHub.WaitForFinalAsync(alice, changedId);
        var whenDeleted = await ToolHub.WaitForFinalAsync(alice, deletedId);

        Assert.Equal(ProposalStatus.Failed, ToolHub.Status(whenChanged));
        Assert.Contains("was changed in Gmail after it was proposed", whenChanged["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(ProposalStatus.Failed, ToolHub.Status(whenDeleted));
        Assert.Contains("no longer exists", whenDeleted["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailDraftsSend));
        Assert.Empty(tools.Google.SentEmails);
        Assert.Equal("Price: 20k.", Assert.Single(mailbox.Drafts).Body);
    }

    [Fact]
    public async Task SendDraft_ThatDoesNotExist_IsRefusedAsInvalid_AndNothingIsProposed()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, ToolHub.PersonLimitsLifted);
        var agentId = await tools.OnboardWithGoogleAsync(Alice, "Alice Example");
        using var alice = tools.User(agentId);

        var response = await alice.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new { type = ProposalTypes.SendGmailDraft, payload = new JsonObject { ["draftId"] = "r-no-such-draft" } });

        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("There is no Gmail draft 'r-no-such-draft'", problem!["errors"]!["payload.draftId"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals"))!);
    }

    [Fact]
    public async Task SignedInWithoutTheComposeScope_DraftToolsSayReconnect_AndNothingReachesGmailDrafts()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var tools = await ToolHub.StartAsync(Tools.Google, Llm(llm));
        tools.Google.DeclinedScopes.Add(Compose);
        var agentId = await tools.OnboardWithGoogleAsync(Alice, "Alice Example");
        var draftId = tools.Google.Account(Alice).AddDraft(new FakeGmailMessage { From = Alice, To = "sarah@acme.com", Subject = "Offer", Body = "Here." });
        using var alice = tools.User(agentId);
        Assert.Contains(Compose, (await alice.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}"))!["google"]!["missingScopes"]!.AsArray().Select(s => s!.GetValue<string>()));

        // Proposing to send a draft is refused at once; a new draft is proposed but fails on approval, saying why.
        var refused = await alice.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new { type = ProposalTypes.SendGmailDraft, payload = new JsonObject { ["draftId"] = draftId } });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("Google access to reconnect", (await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.CreateGmailDraft, new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = "Offer", ["body"] = "Here." });
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.Equal(ProposalStatus.Failed, ToolHub.Status(done));
        Assert.StartsWith("Google access to reconnect", done["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(Compose, done["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailDraftsCreate) + tools.Google.CallCount(GoogleEndpoints.GmailDraftsGet) + tools.Google.CallCount(GoogleEndpoints.GmailDraftsSend));
    }

    [Fact]
    public async Task CreateDraft_GmailRefuses_TheProposalFailsWithGmailsMessage_AndNoDraftIsMade()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, ToolHub.PersonLimitsLifted);
        var agentId = await tools.OnboardWithGoogleAsync(Alice, "Alice Example");
        using var alice = tools.User(agentId);
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.CreateGmailDraft, new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = "Offer", ["body"] = "Here." });
        tools.Google.FailAlways(403, "Drafts are turned off for this account.", GoogleEndpoints.GmailDraftsCreate);

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.Equal(ProposalStatus.Failed, ToolHub.Status(done));
        Assert.Equal("Gmail answered 403: Drafts are turned off for this account.", done["error"]!.GetValue<string>());
        Assert.Empty(tools.Google.Account(Alice).Drafts);
    }

    [Fact]
    public async Task CreateGoogleDoc_Approved_TheDocIsMadeInTheFolderWithTheText_ARetryMakesNoSecondDoc()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, new("GOOGLE_DRIVE", "true")]);
        var agentId = await tools.OnboardWithGoogleAsync(Alice, "Alice Example");
        var folder = tools.Google.AddFolder(Alice, "Plans");
        using var alice = tools.User(agentId);
        var payload = new JsonObject { ["title"] = "Q3 plan", ["body"] = "Hire two engineers.\nShip the mobile app.", ["folderId"] = folder };
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.CreateGoogleDoc, payload);
        var card = (await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending))["card"]!.GetValue<string>();
        Assert.Contains("**Title:** Q3 plan\n**Folder:** " + folder, card, StringComparison.Ordinal);
        Assert.Contains("> Hire two engineers.\n> Ship the mobile app.\n", card, StringComparison.Ordinal);

        // The first attempt creates the Doc and then fails to write its text: the retry finds the Doc by its tag.
        tools.Google.FailNext(1, 503, "The service is currently unavailable.", GoogleEndpoints.DocsBatchUpdate);
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(2, done["attempts"]!.GetValue<int>());
        var doc = Assert.Single(tools.Google.Files(Alice), f => f.MimeType == "application/vnd.google-apps.document");
        Assert.Equal("Q3 plan", doc.Name);
        Assert.Equal(folder, doc.Parent);
        Assert.Equal("Hire two engineers.\nShip the mobile app.", doc.Text);
        Assert.Contains(doc.Id, done["result"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, tools.Google.CallCount(GoogleEndpoints.DriveFilesCreate));
        var insert = tools.Google.RequestsTo(GoogleEndpoints.DocsBatchUpdate).Last().Json()!["requests"]![0]!["insertText"]!;
        Assert.Equal(1, insert["location"]!["index"]!.GetValue<int>());
    }

    [Fact]
    public async Task CreateGoogleDoc_Invalid_OrWithDriveOff_IsRefused_AndNothingIsProposed()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, ToolHub.PersonLimitsLifted);
        var agentId = await tools.OnboardWithGoogleAsync(Alice, "Alice Example");
        using var alice = tools.User(agentId);

        var invalid = await alice.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new { type = ProposalTypes.CreateGoogleDoc, payload = new JsonObject { ["title"] = new string('t', 201), ["body"] = new string('b', ProposalValidator.MaxDocBody + 1) } });
        var errors = (await invalid.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Contains("title is longer than 200 characters.", errors["payload.title"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"body is longer than {ProposalValidator.MaxDocBody} characters.", errors["payload.body"]![0]!.GetValue<string>(), StringComparison.Ordinal);

        var off = await alice.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new { type = ProposalTypes.CreateGoogleDoc, payload = new JsonObject { ["title"] = "Plan", ["body"] = "Text." } });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, off.StatusCode);
        Assert.Contains("GOOGLE_DRIVE=true", (await off.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals"))!);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.DriveFilesCreate));
    }

    private static KeyValuePair<string, string?>[] Llm(FakeOpenAi llm) =>
        [new("REDPILL_API_KEY", "test-llm-key"), new("LLM_BASE_URL", llm.BaseUrl), new("LLM_MODEL", "test-model"), .. ToolHub.PersonLimitsLifted];

    private static async Task<string> OnlyProposalAsync(HttpClient http, string agentId, string type)
    {
        JsonArray proposals = [];
        await ToolHub.WaitUntilAsync(() => (proposals = http.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals").GetAwaiter().GetResult()!).Count == 1, "the proposal in the agent's list");
        Assert.Equal(type, proposals.Single()!["type"]!.GetValue<string>());
        return proposals.Single()!["proposalId"]!.GetValue<string>();
    }
}
