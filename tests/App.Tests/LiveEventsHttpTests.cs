using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>A tool hub whose streams send a heartbeat after 0.3 s of silence.</summary>
public sealed class LiveEventsFixture : ToolHubFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("LiveEvents:HeartbeatSeconds", "0.3")];
}

/// <summary>The dashboards' event streams (<c>GET /api/agents/{agentId}/events</c>, <c>GET /api/admin/events</c>) against the running hub.</summary>
public sealed class LiveEventsHttpTests(LiveEventsFixture fixture) : IClassFixture<LiveEventsFixture>
{
    private static string Text(JsonObject data, string name) => data[name]?.GetValue<string>() ?? "";

    [Fact]
    public async Task PersonStream_ShowsEachKindOfChange_AsItHappens()
    {
        var tools = fixture.Tools;
        using var alice = tools.User(fixture.Alice);
        using var bob = tools.User(fixture.Bob);
        await using var stream = await LiveEventStream.OpenAsync(alice, $"/api/agents/{fixture.Alice}/events");
        var (_, ready) = await stream.NextAsync("ready");
        Assert.Equal(fixture.Alice, Text(ready, "agentId"));

        // A proposal created, edited, approved and carried out: each change is an event with the proposal's summary.
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
        await stream.NextAsync("proposal", d => Text(d, "proposalId") == id && Text(d, "status") == ProposalStatus.Pending && d["revision"]!.GetValue<int>() == 1);
        await ToolHub.DecideOkAsync(alice, id, "edit", ProposalCases.Edit(ProposalTypes.CreateAttioTask));
        await stream.NextAsync("proposal", d => Text(d, "proposalId") == id && d["revision"]!.GetValue<int>() == 2);
        await ToolHub.DecideOkAsync(alice, id, "approve");
        await stream.NextAsync("proposal", d => Text(d, "proposalId") == id && Text(d, "status") == ProposalStatus.Succeeded && Text(d, "decidedAt").Length > 0);

        // A chat message: the person's message, the agent's reply, then the agent no longer working (a stream that reads
        // the agent after the turn began and ended shows only where it is now: not working).
        var sent = await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/messages", new { text = "hello from the stream test" });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var (_, mine) = await stream.NextAsync("message", d => Text(d, "role") == "user" && Text(d, "text") == "hello from the stream test");
        var (_, reply) = await stream.NextAsync("message", d => Text(d, "role") == "assistant" && d["seq"]!.GetValue<long>() > mine["seq"]!.GetValue<long>());
        Assert.Equal(Text(mine, "turnId"), Text(reply, "turnId"));
        await stream.NextAsync("agent", d => !d["working"]!.GetValue<bool>() && Text(d, "status") == "active");

        // A message from another agent reaches the inbox.
        var text = $"From Bob {Guid.NewGuid():N}";
        var message = await ToolHub.ProposeAsync(bob, fixture.Bob, ProposalTypes.MessageAgent, new JsonObject { ["agentId"] = fixture.Alice, ["text"] = text });
        await ToolHub.DecideOkAsync(bob, message, "approve");
        var (_, inbox) = await stream.NextAsync("inbox", d => Text(d, "text") == text);
        Assert.Equal(fixture.Bob, Text(inbox, "fromAgentId"));

        // Every event has an id, larger than the one before (heartbeats have none).
        var ids = stream.Seen.Where(e => e.EventType != "heartbeat").Select(e => long.Parse(e.EventId!, CultureInfo.InvariantCulture)).ToList();
        Assert.All(ids.Zip(ids.Skip(1)), pair => Assert.True(pair.First < pair.Second, $"event id {pair.Second} came after {pair.First}"));
    }

    [Fact]
    public async Task PersonStream_ResumesAfterLastEventId_WithExactlyWhatWasMissed()
    {
        var tools = fixture.Tools;
        using var alice = tools.User(fixture.Alice);
        string lastId;
        string first;
        await using (var stream = await LiveEventStream.OpenAsync(alice, $"/api/agents/{fixture.Alice}/events"))
        {
            await stream.NextAsync("ready");
            first = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
            var (seen, _) = await stream.NextAsync("proposal", d => Text(d, "proposalId") == first);
            lastId = seen.EventId!;
        }

        // While no stream is open: a new proposal and a rejection of the first.
        var second = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
        await ToolHub.DecideOkAsync(alice, first, "reject", reason: "not now");
        await ToolHub.WaitForStatusAsync(alice, first, ProposalStatus.Rejected);
        using var admin = tools.Admin();
        await ToolHub.WaitUntilAsync(() => admin.GetFromJsonAsync<JsonArray>($"/api/agents/{fixture.Alice}/proposals").GetAwaiter().GetResult()!
            .Any(p => p!["proposalId"]!.GetValue<string>() == first && p["status"]!.GetValue<string>() == ProposalStatus.Rejected), "the rejection in the agent's list");

        await using var resumed = await LiveEventStream.OpenAsync(alice, $"/api/agents/{fixture.Alice}/events", lastId);
        var (readyItem, _) = await resumed.NextAsync("ready");
        Assert.Equal(lastId, readyItem.EventId);
        await resumed.NextAsync("proposal", d => Text(d, "proposalId") == second && Text(d, "status") == ProposalStatus.Pending);
        await resumed.NextAsync("proposal", d => Text(d, "proposalId") == first && Text(d, "status") == ProposalStatus.Rejected);

        // Nothing from before the id came again, and nothing was sent twice.
        Assert.DoesNotContain(resumed.Seen, e => e.EventType == "proposal" && e.Data.Contains(first, StringComparison.Ordinal) && e.Data.Contains("\"pending\"", StringComparison.Ordinal));
        Assert.All(resumed.Seen.Where(e => e.EventId is not null && e.EventType != "ready"), e => Assert.True(long.Parse(e.EventId!, CultureInfo.InvariantCulture) > long.Parse(lastId, CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task PersonStream_WithAnIdItCannotResumeFrom_SaysReset_AndRefusesAGarbledOne()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        await using var stream = await LiveEventStream.OpenAsync(alice, $"/api/agents/{fixture.Alice}/events", "999999999");
        await stream.NextAsync("ready");
        var (reset, data) = await stream.NextAsync("reset");
        Assert.Equal(fixture.Alice, Text(data, "agentId"));
        Assert.Equal(data["version"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture), reset.EventId);

        using var garbled = await LiveEventStream.SendAsync(alice, $"/api/agents/{fixture.Alice}/events", "abc");
        Assert.Contains("Last-Event-ID", await HubFlows.AssertProblemAsync(garbled, HttpStatusCode.BadRequest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streams_SendAHeartbeat_WhenNothingHappens()
    {
        using var admin = fixture.Tools.Admin();
        await using var person = await LiveEventStream.OpenAsync(admin, $"/api/agents/{fixture.Bob}/events");
        await using var hub = await LiveEventStream.OpenAsync(admin, "/api/admin/events");
        var (beat, data) = await person.NextAsync("heartbeat");
        Assert.Null(beat.EventId);
        Assert.Empty(data);
        await hub.NextAsync("heartbeat");
    }

    [Fact]
    public async Task Streams_AreForTheirOwnersOnly()
    {
        var tools = fixture.Tools;
        using var anonymous = tools.Hub.Http();
        using var alice = tools.User(fixture.Alice);
        using var wrong = tools.Hub.Http("not-a-token-at-all-but-long-enough-xx");
        await HubFlows.AssertProblemAsync(await LiveEventStream.SendAsync(anonymous, $"/api/agents/{fixture.Alice}/events"), HttpStatusCode.Unauthorized);
        await HubFlows.AssertProblemAsync(await LiveEventStream.SendAsync(wrong, $"/api/agents/{fixture.Alice}/events"), HttpStatusCode.Unauthorized);
        await HubFlows.AssertProblemAsync(await LiveEventStream.SendAsync(alice, $"/api/agents/{fixture.Bob}/events"), HttpStatusCode.NotFound);
        await HubFlows.AssertProblemAsync(await LiveEventStream.SendAsync(alice, "/api/admin/events"), HttpStatusCode.NotFound);
        await HubFlows.AssertProblemAsync(await LiveEventStream.SendAsync(anonymous, "/api/admin/events"), HttpStatusCode.Unauthorized);
        using var admin = tools.Admin();
        await HubFlows.AssertProblemAsync(await LiveEventStream.SendAsync(admin, "/api/agents/nobody-company-com/events"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task PersonStream_Closes_WhenTheTokenIsRotated_AndTheOldTokenCannotReopenIt()
    {
        var tools = fixture.Tools;
        var agentId = await tools.OnboardWithGoogleAsync("rita@company.com", "Rita Rotate");
        using var rita = tools.User(agentId);
        using var admin = tools.Admin();
        await using var own = await LiveEventStream.OpenAsync(rita, $"/api/agents/{agentId}/events");
        await using var admins = await LiveEventStream.OpenAsync(admin, $"/api/agents/{agentId}/events");
        await own.NextAsync("ready");
        await admins.NextAsync("ready");

        var rotated = await admin.PostAsync($"/api/agents/{agentId}/token/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newToken = (await rotated.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();

        var (_, closed) = await own.NextAsync("closed");
        Assert.Equal("the link was replaced", Text(closed, "reason"));
        await own.EndAsync();
        await HubFlows.AssertProblemAsync(await LiveEventStream.SendAsync(rita, $"/api/agents/{agentId}/events"), HttpStatusCode.Unauthorized);
        using var renewed = tools.Hub.Http(newToken);
        await using var reopened = await LiveEventStream.OpenAsync(renewed, $"/api/agents/{agentId}/events");
        await reopened.NextAsync("ready");

        // The admin's stream of the same agent goes on.
        await ToolHub.ProposeAsync(admin, agentId, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
        await admins.NextAsync("proposal");
        Assert.DoesNotContain(admins.Seen, e => e.EventType == "closed");
    }

    [Fact]
    public async Task PersonStream_Closes_WhenTheAgentIsOffboarded()
    {
        var tools = fixture.Tools;
        var agentId = await tools.OnboardWithGoogleAsync("otto@company.com", "Otto Offboard");
        using var otto = tools.User(agentId);
        using var admin = tools.Admin();
        await using var own = await LiveEventStream.OpenAsync(otto, $"/api/agents/{agentId}/events");
        await using var admins = await LiveEventStream.OpenAsync(admin, $"/api/agents/{agentId}/events");
        await own.NextAsync("ready");
        await admins.NextAsync("ready");

        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/agents/{agentId}")).StatusCode);

        await own.NextAsync("agent", d => Text(d, "status") == "disabled");
        var (_, closed) = await own.NextAsync("closed");
        Assert.Equal("the agent was offboarded", Text(closed, "reason"));
        await own.EndAsync();
        await HubFlows.AssertProblemAsync(await LiveEventStream.SendAsync(otto, $"/api/agents/{agentId}/events"), HttpStatusCode.Unauthorized);
        await admins.NextAsync("agent", d => Text(d, "status") == "disabled");
        await admins.NextAsync("heartbeat");
        Assert.DoesNotContain(admins.Seen, e => e.EventType == "closed");
    }

    [Fact]
    public async Task AdminStream_ShowsInstancesAgentsAndProposals_AndResumesOnTheSameFeed()
    {
        var tools = fixture.Tools;
        using var admin = tools.Admin();
        using var alice = tools.User(fixture.Alice);
        string lastId;
        string id;
        await using (var stream = await LiveEventStream.OpenAsync(admin, "/api/admin/events"))
        {
            await stream.NextAsync("ready");
            id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
            // The feed reads each changed instance once: the order of these three among themselves is not fixed.
            var (_, instance) = await stream.SeenAsync("instance", d => Text(d, "instanceId") == id && Text(d, "runtimeStatus") == "Running");
            Assert.Equal(nameof(ApprovalOrchestration), Text(instance, "name"));
            await stream.SeenAsync("proposal", d => Text(d, "proposalId") == id && Text(d, "agentId") == fixture.Alice && Text(d, "status") == ProposalStatus.Pending);
            await stream.SeenAsync("agent", d => Text(d, "agentId") == fixture.Alice && d["pendingProposals"]!.GetValue<int>() > 0);
            lock (stream.Seen)
            {
                lastId = stream.Seen.Last(e => e.EventId is not null).EventId!;
            }
        }

        await ToolHub.DecideOkAsync(alice, id, "reject");

        await using var resumed = await LiveEventStream.OpenAsync(admin, "/api/admin/events", lastId);
        await resumed.SeenAsync("proposal", d => Text(d, "proposalId") == id && Text(d, "status") == ProposalStatus.Rejected);
        await resumed.SeenAsync("instance", d => Text(d, "instanceId") == id && Text(d, "runtimeStatus") == "Completed");
        Assert.DoesNotContain(resumed.Seen, e => e.EventType == "reset");

        // An id of another feed (another replica, an earlier run): the stream says to read everything again.
        await using var other = await LiveEventStream.OpenAsync(admin, "/api/admin/events", "0badfeed-12");
        await other.NextAsync("reset");
    }
}
