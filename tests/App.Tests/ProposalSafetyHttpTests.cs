using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Google;
using CompanyHub.Fakes.Notion;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.Extensions.DependencyInjection;

namespace CompanyHub.Tests;

/// <summary>
/// What the approval gate promises, over HTTP against the fakes: reads are free and never propose, writes never run
/// without a decision, only the agent's own person decides, a decision applies once, transient tool failures are
/// retried as the tool asked and permanent ones fail the proposal with the tool's message, bad payloads name the field.
/// </summary>
public sealed class ProposalSafetyHttpTests(ToolHubFixture fixture) : IClassFixture<ToolHubFixture>
{
    private static readonly HashSet<string> ReadEndpoints =
    [
        GoogleEndpoints.Token, GoogleEndpoints.GmailList, GoogleEndpoints.GmailGet, GoogleEndpoints.GmailLabels, GoogleEndpoints.CalendarList,
        NotionEndpoints.Search, NotionEndpoints.PagesRetrieve, NotionEndpoints.BlocksChildrenList, NotionEndpoints.DatabasesRetrieve,
        NotionEndpoints.DatabasesQuery, NotionEndpoints.DataSourcesRetrieve, NotionEndpoints.DataSourcesQuery,
        AttioEndpoints.RecordsQuery, AttioEndpoints.RecordsGet,
    ];

    [Fact]
    public async Task ReadTools_RunAtOnce_AndNeverCreateAProposal()
    {
        var tools = fixture.Tools;
        var mailId = tools.Google.Account("alice@company.com").AddMessage(new FakeGmailMessage { From = "Sarah <sarah@acme.com>", Subject = "Q2 offer", Body = "Can you send the offer by Friday?" });
        tools.Google.Account("alice@company.com").AddEvent("Board meeting", new DateTimeOffset(2030, 5, 6, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 5, 6, 10, 0, 0, TimeSpan.Zero));
        tools.Notion.AddDatabasePage(fixture.TasksDatabase.Id, "Prepare the offer");
        var before = (Google: tools.Google.TotalCalls, Notion: tools.Notion.TotalCalls, Attio: tools.Attio.TotalCalls);
        var writes = await fixture.WritesAsync();
        using var alice = tools.User(fixture.Alice);
        var proposals = (await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{fixture.Alice}/proposals"))!.Count;
        var reads = tools.Hub.Services.GetRequiredService<IReadToolRunner>();

        var results = new Dictionary<string, string>
        {
            ["gmail_search"] = await reads.RunAsync(fixture.Alice, "gmail_search", new JsonObject { ["query"] = "from:sarah@acme.com" }, default),
            ["gmail_read"] = await reads.RunAsync(fixture.Alice, "gmail_read", new JsonObject { ["messageId"] = mailId }, default),
            ["calendar_list_events"] = await reads.RunAsync(fixture.Alice, "calendar_list_events", new JsonObject { ["timeMin"] = "2030-05-06T00:00:00Z", ["timeMax"] = "2030-05-07T00:00:00Z" }, default),
            ["notion_search"] = await reads.RunAsync(fixture.Alice, "notion_search", new JsonObject { ["query"] = "Team Wiki" }, default),
            ["notion_query_database"] = await reads.RunAsync(fixture.Alice, "notion_query_database", new JsonObject { ["databaseId"] = fixture.TasksDatabase.Id }, default),
            ["notion_read_page"] = await reads.RunAsync(fixture.Alice, "notion_read_page", new JsonObject { ["pageId"] = fixture.WikiPageId }, default),
            ["attio_query_records"] = await reads.RunAsync(fixture.Alice, "attio_query_records", new JsonObject { ["object"] = "people" }, default),
            ["attio_get_record"] = await reads.RunAsync(fixture.Alice, "attio_get_record", new JsonObject { ["object"] = "people", ["recordId"] = fixture.PersonId }, default),
        };

        Assert.Contains("Q2 offer", results["gmail_search"], StringComparison.Ordinal);
        Assert.Contains("send the offer by Friday", results["gmail_read"], StringComparison.Ordinal);
        Assert.Contains("Board meeting", results["calendar_list_events"], StringComparison.Ordinal);
        Assert.Contains("Team Wiki", results["notion_search"], StringComparison.Ordinal);
        Assert.Contains("Prepare the offer", results["notion_query_database"], StringComparison.Ordinal);
        Assert.Contains("Welcome.", results["notion_read_page"], StringComparison.Ordinal);
        Assert.Contains("Sarah", results["attio_query_records"], StringComparison.Ordinal);
        Assert.Contains("Engineer", results["attio_get_record"], StringComparison.Ordinal);

        var after = tools.Google.Requests.Skip(before.Google).Concat(tools.Notion.Requests.Skip(before.Notion)).Concat(tools.Attio.Requests.Skip(before.Attio)).ToList();
        Assert.NotEmpty(after);
        Assert.All(after, r => Assert.Contains(r.Endpoint, ReadEndpoints));
        Assert.Equal(writes, await fixture.WritesAsync());
        Assert.Equal(proposals, (await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{fixture.Alice}/proposals"))!.Count);
    }

    [Fact]
    public async Task Writes_WithoutADecision_NeverRun()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        using var admin = fixture.Tools.Admin();
        var writes = await fixture.WritesAsync();
        var ids = new List<string>();
        foreach (var type in ProposalCases.EveryType)
        {
            ids.Add(await ToolHub.ProposeAsync(alice, fixture.Alice, type, ProposalCases.Payload(fixture, type)));
        }

        foreach (var id in ids)
        {
            var pending = await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
            Assert.Equal(0, pending["attempts"]!.GetValue<int>());

            // The orchestration is waiting for its decision and has never scheduled the action. (A proposal shows as
            // pending from its request before the first step ran: on a busy machine the instance may still be Pending.)
            var status = "";
            await ToolHub.WaitUntilAsync(
                () => (status = admin.GetStringAsync($"/runtime/webhooks/durabletask/instances/{id}?showHistory=true").GetAwaiter().GetResult()).Contains("\"runtimeStatus\":\"Running\"", StringComparison.Ordinal),
                $"proposal {id} running");
            Assert.DoesNotContain(ExecuteProposalAction.Name, status, StringComparison.Ordinal);
        }

        Assert.Equal(writes, await fixture.WritesAsync());
        await ToolHub.WaitUntilAsync(
            () => alice.GetFromJsonAsync<JsonArray>($"/api/agents/{fixture.Alice}/proposals?status=pending").GetAwaiter().GetResult()!
                .Count(p => ids.Contains(p!["proposalId"]!.GetValue<string>())) == ids.Count,
            "every proposal listed as pending");

        foreach (var id in ids)
        {
            await ToolHub.DecideOkAsync(alice, id, "reject");
        }

        Assert.Equal(writes, await fixture.WritesAsync());
    }

    [Fact]
    public async Task AnotherUser_CannotSeeDecideOrProposeForTheAgent_404()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        using var bob = fixture.Tools.User(fixture.Bob);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.SendEmail, ProposalCases.Payload(fixture, ProposalTypes.SendEmail));
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);

        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/proposals/{id}")).StatusCode);
        foreach (var decision in new[] { "approve", "reject", "edit" })
        {
            var response = await ToolHub.DecideAsync(bob, id, decision, decision == "edit" ? new JsonObject { ["subject"] = "hijacked" } : null);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/agents/{fixture.Alice}/proposals")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsJsonAsync($"/api/agents/{fixture.Alice}/proposals", new { type = "send_email", payload = ProposalCases.Payload(fixture, ProposalTypes.SendEmail) })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ToolHub.DecideAsync(alice, "p-" + Guid.NewGuid().ToString("N"), "approve")).StatusCode);

        var untouched = await ToolHub.GetProposalAsync(alice, id);
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(untouched));
        Assert.Equal(1, untouched["revision"]!.GetValue<int>());
        await ToolHub.DecideOkAsync(alice, id, "reject");
    }

    [Fact]
    public async Task SecondDecision_Answers409_WithTheCurrentState()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var again = await ToolHub.DecideAsync(alice, id, "approve");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var problem = (await again.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(409, problem["status"]!.GetValue<int>());
        Assert.Contains(problem["proposalStatus"]!.GetValue<string>(), new[] { ProposalStatus.Executing, ProposalStatus.Succeeded });

        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Succeeded);
        var late = await ToolHub.DecideAsync(alice, id, "reject");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal(ProposalStatus.Succeeded, (await late.Content.ReadFromJsonAsync<JsonObject>())!["proposalStatus"]!.GetValue<string>());
        var content = (await ToolHub.GetProposalAsync(alice, id))["payload"]!["content"]!.GetValue<string>();
        Assert.Single(fixture.Tools.Attio.Tasks, t => t["content_plaintext"]!.GetValue<string>() == content);
    }

    [Fact]
    public async Task DecisionOnAnOlderRevision_Answers409WithTheCurrentCard_AndRunsNothing()
    {
        // Arrange: Alice proposes a price; the admin edits it (revision 2) while Alice still looks at revision 1.
        using var alice = fixture.Tools.User(fixture.Alice);
        using var admin = fixture.Tools.Admin();
        var payload = ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask);
        var original = $"Our price is 100 EUR ({Guid.NewGuid():N})";
        var edited = original.Replace("100 EUR", "900 EUR", StringComparison.Ordinal);
        payload["content"] = original;
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, payload);
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        await ToolHub.DecideOkAsync(admin, id, "edit", new JsonObject { ["content"] = edited }, revision: 1);

        // Act
        using var stale = await ToolHub.DecideAsync(alice, id, "approve", revision: 1);
        using var missing = await alice.PostAsJsonAsync($"/api/proposals/{id}/decision", new { decision = "approve" });

        // Assert: the approval of what Alice saw is refused with what the proposal says now; nothing ran.
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var refusal = (await stale.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(2, refusal["revision"]!.GetValue<int>());
        Assert.Contains("900 EUR", refusal["card"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("revision", (await missing.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key));
        var now = await ToolHub.GetProposalAsync(alice, id);
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(now));
        Assert.Equal(2, now["revision"]!.GetValue<int>());
        Assert.DoesNotContain(fixture.Tools.Attio.Tasks, t => t["content_plaintext"]!.GetValue<string>() == edited);

        // Approving the revision she has now seen runs that text, once.
        await ToolHub.DecideOkAsync(alice, id, "approve", revision: 2);
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, id)));
        Assert.Single(fixture.Tools.Attio.Tasks, t => t["content_plaintext"]!.GetValue<string>() == edited);
        Assert.DoesNotContain(fixture.Tools.Attio.Tasks, t => t["content_plaintext"]!.GetValue<string>() == original);
    }

    [Fact]
    public async Task ComposedMessageToAnAgent_CarriesNoHopCountOfTheCallers()
    {
        // A caller cannot buy an agents' conversation more hops than the limit by writing its own count.
        using var alice = fixture.Tools.User(fixture.Alice);
        var payload = ProposalCases.Payload(fixture, ProposalTypes.MessageAgent);
        payload["hops"] = -50;

        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.MessageAgent, payload);

        var view = await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        Assert.False(view["payload"]!.AsObject().ContainsKey("hops"), view.ToJsonString());
        await ToolHub.DecideOkAsync(alice, id, "reject");
    }

    [Fact]
    public async Task MessageToAnAgent_ComposedOrEditedThroughTheApi_FollowsTheSendersAllowAgents()
    {
        // Arrange: an agent that may message the orchestrator only, with a message to it waiting.
        var client = fixture.Tools.Hub.Client;
        var zed = $"zed-{Guid.NewGuid():N}";
        await client.Entities.SignalEntityAsync(AgentEntity.Id(zed), nameof(AgentEntity.Create),
            new AgentProfile(zed, $"{zed}@company.com", "Zed", new AgentIdentity("Zed", "terse"), ["orchestrator"], AgentAutonomy.AlwaysAsk, "default"));
        await ToolHub.WaitUntilAsync(() => client.Entities.GetEntityAsync<AgentState>(AgentEntity.Id(zed)).GetAwaiter().GetResult() is not null, "the agent to exist");
        using var admin = fixture.Tools.Admin();
        var allowed = await ToolHub.ProposeAsync(admin, zed, ProposalTypes.MessageAgent, new JsonObject { ["agentId"] = "orchestrator", ["text"] = "Hello." });
        await ToolHub.WaitForStatusAsync(admin, allowed, ProposalStatus.Pending);

        // Act
        using var composed = await admin.PostAsJsonAsync($"/api/agents/{zed}/proposals", new { type = ProposalTypes.MessageAgent, payload = new { agentId = fixture.Bob, text = "Hello." } });
        using var edited = await ToolHub.DecideAsync(admin, allowed, "edit", new JsonObject { ["agentId"] = fixture.Bob });

        // Assert: both refused, naming the field and the rule; the waiting message still goes to the orchestrator.
        Assert.Equal(HttpStatusCode.BadRequest, composed.StatusCode);
        var composedErrors = (await composed.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Contains("allowAgents", composedErrors["payload.agentId"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, edited.StatusCode);
        var editErrors = (await edited.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Contains("allowAgents", editErrors["changes.agentId"]!.ToJsonString(), StringComparison.Ordinal);
        var still = await ToolHub.GetProposalAsync(admin, allowed);
        Assert.Equal(1, still["revision"]!.GetValue<int>());
        Assert.Equal("orchestrator", still["payload"]!["agentId"]!.GetValue<string>());
        await ToolHub.DecideOkAsync(admin, allowed, "reject");
    }

    [Fact]
    public async Task RacingDecisions_ExactlyOneIsApplied_TheOtherGets409()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        for (var round = 0; round < 4; round++)
        {
            var payload = ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask);
            var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, payload);
            await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
            var second = round % 2 == 0 ? "reject" : "edit";
            var changes = second == "edit" ? new JsonObject { ["content"] = $"edited {id}" } : null;

            var responses = await Task.WhenAll(ToolHub.DecideAsync(alice, id, "approve"), ToolHub.DecideAsync(alice, id, second, changes));

            var codes = responses.Select(r => r.StatusCode).ToArray();
            Assert.Single(codes, HttpStatusCode.Accepted);
            Assert.Single(codes, HttpStatusCode.Conflict);
            var approveWon = codes[0] == HttpStatusCode.Accepted;
            var final = approveWon || second == "reject" ? await ToolHub.WaitForFinalAsync(alice, id) : await ToolHub.GetProposalAsync(alice, id);
            if (approveWon)
            {
                Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(final));
                Assert.Equal(1, final["revision"]!.GetValue<int>());
                Assert.Single(fixture.Tools.Attio.Tasks, t => t["content_plaintext"]!.GetValue<string>() == payload["content"]!.GetValue<string>());
            }
            else if (second == "reject")
            {
                Assert.Equal(ProposalStatus.Rejected, ToolHub.Status(final));
            }
            else
            {
                // The edit won: the approval was of a revision nobody approves any more.
                Assert.Equal(ProposalStatus.Pending, ToolHub.Status(final));
                Assert.Equal(2, final["revision"]!.GetValue<int>());
                await ToolHub.DecideOkAsync(alice, id, "reject");
            }

            Assert.DoesNotContain(fixture.Tools.Attio.Tasks, t => t["content_plaintext"]!.GetValue<string>() == $"edited {id}");
        }
    }

    [Fact]
    public async Task TransientFailures_5xxAnd429_AreRetried_ThenTheEmailIsSentOnce()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var google = fixture.Tools.Google;
        var payload = ProposalCases.Payload(fixture, ProposalTypes.SendEmail);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.SendEmail, payload);
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        var sends = google.CallCount(GoogleEndpoints.GmailSend);
        google.FailNext(1, 503, "The service is currently unavailable.", GoogleEndpoints.GmailSend);
        google.RateLimitNext(1, TimeSpan.FromSeconds(1), GoogleEndpoints.GmailSend);

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(3, done["attempts"]!.GetValue<int>());
        Assert.Equal(sends + 3, google.CallCount(GoogleEndpoints.GmailSend));
        Assert.Single(google.SentEmails, m => m.Subject == payload["subject"]!.GetValue<string>());
    }

    [Fact]
    public async Task RateLimited_WaitsAsLongAsRetryAfterSays()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var attio = fixture.Tools.Attio;
        var payload = ProposalCases.Payload(fixture, ProposalTypes.CreateAttioNote);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioNote, payload);
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        var calls = attio.CallCount(AttioEndpoints.NotesCreate);
        attio.RateLimitNext(1, TimeSpan.FromSeconds(3), AttioEndpoints.NotesCreate);

        await ToolHub.DecideOkAsync(alice, id, "approve");
        await ToolHub.WaitUntilAsync(() => attio.CallCount(AttioEndpoints.NotesCreate) == calls + 1, "the first attempt");
        var clock = Stopwatch.StartNew();
        await ToolHub.WaitUntilAsync(() => attio.CallCount(AttioEndpoints.NotesCreate) == calls + 2, "the second attempt");
        var waited = clock.Elapsed;
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(waited >= TimeSpan.FromSeconds(2.8), $"retried after {waited.TotalSeconds:0.00} s although Retry-After said 3 s (the own backoff is 1 s)");
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(done));
        Assert.Equal(2, done["attempts"]!.GetValue<int>());
        Assert.Single(attio.Notes, n => n["title"]!.GetValue<string>() == payload["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task PermanentFailure_FailsTheProposal_WithTheToolsMessage_AndNoRetry()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var google = fixture.Tools.Google;
        var email = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.SendEmail, ProposalCases.Payload(fixture, ProposalTypes.SendEmail));
        var missingParent = Guid.NewGuid().ToString();
        var page = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateNotionPage, new JsonObject { ["parentPageId"] = missingParent, ["title"] = "Orphan" });
        await ToolHub.WaitForStatusAsync(alice, email, ProposalStatus.Pending);
        await ToolHub.WaitForStatusAsync(alice, page, ProposalStatus.Pending);
        var sends = google.CallCount(GoogleEndpoints.GmailSend);
        var creates = fixture.Tools.Notion.CallCount(NotionEndpoints.PagesCreate);
        google.FailAlways(400, "Invalid To header", GoogleEndpoints.GmailSend);
        try
        {
            await ToolHub.DecideOkAsync(alice, email, "approve");
            await ToolHub.DecideOkAsync(alice, page, "approve");
            var failedEmail = await ToolHub.WaitForFinalAsync(alice, email);
            var failedPage = await ToolHub.WaitForFinalAsync(alice, page);

            Assert.Equal(ProposalStatus.Failed, ToolHub.Status(failedEmail));
            Assert.Equal(1, failedEmail["attempts"]!.GetValue<int>());
            Assert.Contains("Invalid To header", failedEmail["error"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(sends + 1, google.CallCount(GoogleEndpoints.GmailSend));

            Assert.Equal(ProposalStatus.Failed, ToolHub.Status(failedPage));
            Assert.Equal(1, failedPage["attempts"]!.GetValue<int>());
            Assert.Contains("Could not find", failedPage["error"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Contains(missingParent, failedPage["error"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(creates + 1, fixture.Tools.Notion.CallCount(NotionEndpoints.PagesCreate));
        }
        finally
        {
            google.ClearFailures();
        }
    }

    [Fact]
    public async Task WorkflowTerminatedByTheAdmin_ShowsAsFailed_NotPendingForever()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        using var admin = fixture.Tools.Admin();
        var writes = await fixture.WritesAsync();
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);

        var terminated = await admin.PostAsync($"/runtime/webhooks/durabletask/instances/{id}/terminate?reason=stuck", null);
        Assert.True(terminated.IsSuccessStatusCode, $"terminate answered {(int)terminated.StatusCode}");
        var view = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.Equal(ProposalStatus.Failed, ToolHub.Status(view));
        Assert.False(string.IsNullOrEmpty(view["error"]?.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Conflict, (await ToolHub.DecideAsync(alice, id, "approve")).StatusCode);
        Assert.Equal(writes, await fixture.WritesAsync());
    }

    [Theory]
    [InlineData("send_email", """{"to":"not-an-email","body":"x"}""", "payload.to", "payload.subject")]
    [InlineData("send_email", """{"to":"a@company.com","subject":"two\nlines","body":"x"}""", "payload.subject")]
    [InlineData("send_email", """{"to":"jösé@acme.com","cc":["ok@acme.com","bad address@acme.com"],"subject":"s","body":"x"}""", "payload.to", "payload.cc")]
    [InlineData("create_notion_page", """{"parentPageId":"a","parentDatabaseId":"b","title":"x"}""", "payload.parentPageId")]
    [InlineData("create_calendar_event", """{"summary":"x","start":"2030-01-01T10:00:00Z","end":"2030-01-01T09:00:00Z"}""", "payload.end")]
    [InlineData("create_calendar_event", """{"summary":"x","start":"tomorrow","end":"2030-01-01T09:00:00Z","attendees":["nobody"]}""", "payload.start", "payload.attendees")]
    [InlineData("create_notion_page", """{"title":"x"}""", "payload.parentPageId")]
    [InlineData("update_notion_page", """{"pageId":"p"}""", "payload.properties")]
    [InlineData("update_attio_record", """{"object":"people","values":{}}""", "payload.recordId", "payload.values")]
    [InlineData("create_attio_note", """{"parentObject":"people","parentRecordId":"r"}""", "payload.title", "payload.content")]
    [InlineData("create_attio_task", """{"content":"x","deadlineAt":"someday"}""", "payload.deadlineAt")]
    [InlineData("message_agent", """{"agentId":"nobody-company-com","text":"hi"}""", "payload.agentId")]
    [InlineData("message_agent", """{"text":"hi"}""", "payload.agentId")]
    [InlineData("delete_everything", """{}""", "type")]
    public async Task InvalidPayload_Answers400_ProblemNamingTheField(string type, string payload, params string[] fields)
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var response = await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/proposals", new { type, payload = JsonNode.Parse(payload) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        Assert.Equal(fields.Order(), errors.Select(e => e.Key).Order());
        Assert.All(errors, e => Assert.NotEmpty(e.Value!.AsArray()));
    }

    [Fact]
    public async Task InvalidDecisions_Answer400_NamingTheField()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.SendEmail, ProposalCases.Payload(fixture, ProposalTypes.SendEmail));
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);

        async Task<JsonObject> ErrorsOf(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject();
        }

        Assert.Contains("decision", (await ErrorsOf(await ToolHub.DecideAsync(alice, id, "maybe"))).Select(e => e.Key));
        Assert.Contains("changes", (await ErrorsOf(await ToolHub.DecideAsync(alice, id, "edit"))).Select(e => e.Key));
        Assert.Contains("changes.to", (await ErrorsOf(await ToolHub.DecideAsync(alice, id, "edit", new JsonObject { ["to"] = "nobody" }))).Select(e => e.Key));
        var unchanged = await ToolHub.GetProposalAsync(alice, id);
        Assert.Equal(1, unchanged["revision"]!.GetValue<int>());
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(unchanged));
        await ToolHub.DecideOkAsync(alice, id, "reject");
    }
}
