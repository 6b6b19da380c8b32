using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Google;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// Standing grants over HTTP against the fakes: a proposal inside a grant runs once without a decision and the audit
/// names the grant; one outside a bound waits and says which; the day's count holds under parallel proposals; revoking
/// or undoing in the undo window means the email never goes; a crash between the grant check and the action runs it
/// at most once; the admin's ceiling caps a grant; after three hand approvals the agent proposes a grant.
/// </summary>
public sealed class GrantHttpTests
{
    private static readonly KeyValuePair<string, string?> NoUndoWindow = new("Grants:UndoSeconds", "0");

    /// <summary>Long enough that nothing in a test outlives it: an email stays held until the test undoes or revokes it.</summary>
    private static readonly KeyValuePair<string, string?> LongUndoWindow = new("Grants:UndoSeconds", "3600");

    [Fact]
    public async Task ProposalInsideAGrant_RunsOnceWithoutADecision_AfterItsUndoWindow_AndTheAuditNamesTheGrant()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, new("Grants:UndoSeconds", "1")]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        var grantId = (await CreateGrantAsync(alice, agentId, Grant("send_email", new JsonObject { ["domains"] = new JsonArray("acme.com") }, 10)))["grantId"]!.GetValue<string>();

        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("sarah@acme.com", "Weekly update"));
        var held = await ToolHub.WaitForProposalAsync(alice, id, p => ToolHub.Status(p) != ProposalStatus.Pending);
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(grantId, done["grant"]!.GetValue<string>());
        Assert.Equal($"grant:{grantId}", done["decidedBy"]!.GetValue<string>());
        Assert.Equal(1, tools.Google.CallCount(GoogleEndpoints.GmailSend));
        Assert.Single(tools.Google.SentEmails, m => m.Subject == "Weekly update");
        var audit = (await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/audit?top=500"))!.Select(a => a!.AsObject()).Where(a => a["target"]?.GetValue<string>() == id).ToList();
        var approval = Assert.Single(audit, a => a["action"]!.GetValue<string>() == "proposal.auto-approved");
        Assert.Contains($"auto-approved under grant {grantId}", approval["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal($"grant:{grantId}", approval["actor"]!.GetValue<string>());
        Assert.DoesNotContain(audit, a => a["action"]!.GetValue<string>() == "proposal.approved");
        Assert.Equal(1, (await GrantAsync(alice, agentId, grantId))["usedToday"]!.GetValue<int>());
        Assert.True(held["status"]!.GetValue<string>() is ProposalStatus.Held or ProposalStatus.Executing or ProposalStatus.Succeeded, held.ToJsonString());
    }

    [Fact]
    public async Task ProposalOutsideABound_WaitsForADecision_AndSaysWhichBoundItCrossed()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, NoUndoWindow]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        var grantId = (await CreateGrantAsync(alice, agentId, Grant("send_email", new JsonObject { ["recipients"] = new JsonArray("sarah@acme.com") }, 10)))["grantId"]!.GetValue<string>();

        // One address outside the grant is enough: the Cc counts as much as the To.
        var payload = Email("sarah@acme.com", "Offer");
        payload["cc"] = "mallory@elsewhere.example";
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, payload);
        var waiting = await ToolHub.WaitForProposalAsync(alice, id, p => p["grantNote"] is not null);

        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(waiting));
        Assert.Contains(grantId, waiting["grantNote"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("mallory@elsewhere.example", waiting["grantNote"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(waiting["grant"]);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailSend));
        Assert.Equal(0, (await GrantAsync(alice, agentId, grantId))["usedToday"]!.GetValue<int>());

        // It is an ordinary proposal: the person's approval sends it.
        await ToolHub.DecideOkAsync(alice, id, "approve");
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, id)));
        Assert.Equal(1, tools.Google.CallCount(GoogleEndpoints.GmailSend));
    }

    [Fact]
    public async Task TheDaysCount_HoldsUnderParallelProposals_NoOvershoot()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Attio, [.. ToolHub.PersonLimitsLifted, NoUndoWindow]);
        var agentId = await tools.OnboardWithDevSignInAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        var grantId = (await CreateGrantAsync(alice, agentId, Grant("create_attio_task", null, 3)))["grantId"]!.GetValue<string>();

        var ids = await Task.WhenAll(Enumerable.Range(1, 8).Select(i =>
            ToolHub.ProposeAsync(alice, agentId, ProposalTypes.CreateAttioTask, new JsonObject { ["content"] = $"Follow up {i}" })));
        var seen = await Task.WhenAll(ids.Select(id =>
            ToolHub.WaitForProposalAsync(alice, id, p => ProposalStatus.IsFinal(ToolHub.Status(p)) || p["grantNote"] is not null)));

        Assert.Equal(3, seen.Count(p => ToolHub.Status(p) == ProposalStatus.Succeeded && p["grant"]?.GetValue<string>() == grantId));
        var waiting = seen.Where(p => ToolHub.Status(p) == ProposalStatus.Pending).ToList();
        Assert.Equal(5, waiting.Count);
        Assert.All(waiting, p => Assert.Contains("today's are used up", p["grantNote"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Equal(3, tools.Attio.CallCount(AttioEndpoints.TasksCreate));
        Assert.Equal(3, (await GrantAsync(alice, agentId, grantId))["usedToday"]!.GetValue<int>());
    }

    [Fact]
    public async Task RevokeWhileACoveredEmailIsInItsUndoWindow_ItNeverGoes_AndTheGrantCoversNothingAfter()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, LongUndoWindow]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        var grantId = (await CreateGrantAsync(alice, agentId, Grant("send_email", new JsonObject { ["domains"] = new JsonArray("acme.com") }, 10)))["grantId"]!.GetValue<string>();
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("sarah@acme.com", "Held"));
        var held = await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Held);
        Assert.Equal(grantId, held["grant"]!.GetValue<string>());
        Assert.NotNull(held["heldUntil"]);

        var revoked = await alice.DeleteAsync($"/api/agents/{agentId}/grants/{grantId}");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(1, (await revoked.Content.ReadFromJsonAsync<JsonObject>())!["cancelledProposals"]!.GetValue<int>());

        var done = await ToolHub.WaitForFinalAsync(alice, id);
        Assert.Equal(ProposalStatus.Cancelled, ToolHub.Status(done));
        Assert.Contains($"grant {grantId} was revoked", done["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("revoked", (await GrantAsync(alice, agentId, grantId))["status"]!.GetValue<string>());

        // A revoked grant covers nothing: the next email waits for a decision.
        var next = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("sarah@acme.com", "After"));
        await ToolHub.DecideOkAsync(alice, next, "reject");
        Assert.Equal(ProposalStatus.Rejected, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, next)));
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailSend));
        var audit = (await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/audit?top=500"))!.Select(a => a!.AsObject()).ToList();
        Assert.Contains(audit, a => a["action"]!.GetValue<string>() == "grant.revoked" && a["target"]!.GetValue<string>() == grantId);
        Assert.Contains(audit, a => a["action"]!.GetValue<string>() == "grant.created" && a["target"]!.GetValue<string>() == grantId);
    }

    [Fact]
    public async Task UndoInTheUndoWindow_CancelsTheEmail_ButNotAPendingProposal()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, LongUndoWindow]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        var bobId = await tools.OnboardWithGoogleAsync("bob@company.com", "Bob");
        using var alice = tools.User(agentId);
        await CreateGrantAsync(alice, agentId, Grant("send_email", new JsonObject { ["domains"] = new JsonArray("acme.com") }, 10));
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("sarah@acme.com", "Oops"));
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Held);

        using (var bob = tools.User(bobId))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsync($"/api/proposals/{id}/undo", null)).StatusCode);
        }

        var undone = await alice.PostAsync($"/api/proposals/{id}/undo", null);
        Assert.True(undone.StatusCode == HttpStatusCode.OK, await undone.Content.ReadAsStringAsync());
        Assert.Equal(ProposalStatus.Cancelled, (await undone.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>());
        Assert.Equal(ProposalStatus.Cancelled, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, id)));

        var pending = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("someone@elsewhere.example", "Not covered"));
        await ToolHub.WaitForProposalAsync(alice, pending, p => p["grantNote"] is not null);
        Assert.Equal(HttpStatusCode.Conflict, (await alice.PostAsync($"/api/proposals/{pending}/undo", null)).StatusCode);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailSend));
    }

    [Fact]
    public async Task HostStopsBetweenTheGrantCheckAndTheSend_SendsAtMostOnceAfterRestart()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, NoUndoWindow]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        string grantId;
        string id;
        using (var alice = tools.User(agentId))
        {
            grantId = (await CreateGrantAsync(alice, agentId, Grant("send_email", new JsonObject { ["domains"] = new JsonArray("acme.com") }, 10)))["grantId"]!.GetValue<string>();

            // The action's first call (the access-token refresh) hangs: the grant was claimed, nothing was sent yet.
            var tokenCalls = tools.Google.CallCount(GoogleEndpoints.Token);
            tools.Google.DelayNext(1, TimeSpan.FromMinutes(2), GoogleEndpoints.Token);
            id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("sarah@acme.com", "Crash"));
            await ToolHub.WaitUntilAsync(() => tools.Google.CallCount(GoogleEndpoints.Token) == tokenCalls + 1, "the action to start");
            Assert.Equal(ProposalStatus.Executing, ToolHub.Status(await ToolHub.GetProposalAsync(alice, id)));
        }

        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailSend));
        await tools.RestartAsync();

        using var after = tools.User(agentId);
        var done = await ToolHub.WaitForFinalAsync(after, id);
        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(1, tools.Google.CallCount(GoogleEndpoints.GmailSend));
        Assert.Single(tools.Google.SentEmails, m => m.Subject == "Crash");

        // The claim is in the orchestration's history: the replay after the restart did not take the day's count again.
        Assert.Equal(1, (await GrantAsync(after, agentId, grantId))["usedToday"]!.GetValue<int>());
    }

    [Fact]
    public async Task TheAdminCeiling_CapsAPersonsGrant_AndTheAdminSeesEveryGrant()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, NoUndoWindow]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        using var admin = tools.Admin();

        Assert.Equal(HttpStatusCode.NotFound, (await alice.PutAsJsonAsync("/api/admin/grant-ceilings/send_email", new { allowed = true, bounds = new { domains = new[] { "company.com" } } })).StatusCode);
        var set = await admin.PutAsJsonAsync("/api/admin/grant-ceilings/send_email", new { allowed = true, bounds = new { domains = new[] { "company.com" } }, maxPerDay = 20 });
        Assert.True(set.StatusCode == HttpStatusCode.OK, await set.Content.ReadAsStringAsync());

        var outside = await alice.PostAsJsonAsync($"/api/agents/{agentId}/grants", Grant("send_email", new JsonObject { ["domains"] = new JsonArray("acme.com") }, 5));
        await AssertInvalidAsync(outside, "bounds", "acme.com");
        var tooMany = await alice.PostAsJsonAsync($"/api/agents/{agentId}/grants", Grant("send_email", new JsonObject { ["recipients"] = new JsonArray("carol@company.com") }, 50));
        await AssertInvalidAsync(tooMany, "maxPerDay", "at most 20");
        var inside = await CreateGrantAsync(alice, agentId, Grant("send_email", new JsonObject { ["domains"] = new JsonArray("company.com") }, 5));
        var grantId = inside["grantId"]!.GetValue<string>();

        var every = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/grants"))!;
        Assert.Contains(every, g => g!["agentId"]!.GetValue<string>() == agentId && g["grant"]!["grantId"]!.GetValue<string>() == grantId);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/admin/grants")).StatusCode);

        // A ceiling lowered later caps the grant that exists: no email runs under it any more.
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/admin/grant-ceilings/send_email", new { allowed = false })).StatusCode);
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("carol@company.com", "Lunch"));
        var waiting = await ToolHub.WaitForProposalAsync(alice, id, p => p["grantNote"] is not null);
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(waiting));
        Assert.Contains("allows no grant for send_email", waiting["grantNote"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailSend));
        Assert.Contains((await admin.GetFromJsonAsync<JsonArray>("/api/admin/audit?action=grant.ceiling"))!, a => a!["target"]!.GetValue<string>() == "send_email");
    }

    [Fact]
    public async Task AnEditThatNarrowsAGrant_LeavesAProposalOutsideTheNewBoundWaiting_AndCancelsAHeldOneItNoLongerCovers()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, LongUndoWindow]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        var grantId = (await CreateGrantAsync(alice, agentId, Grant("send_email", new JsonObject { ["domains"] = new JsonArray("acme.com", "partner.example") }, 10)))["grantId"]!.GetValue<string>();
        var held = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("sarah@acme.com", "Held before the edit"));
        await ToolHub.WaitForStatusAsync(alice, held, ProposalStatus.Held);

        var edit = await alice.PatchAsJsonAsync($"/api/agents/{agentId}/grants/{grantId}", new { bounds = new { domains = new[] { "partner.example" } }, maxPerDay = 3 });
        var edited = JsonNode.Parse(await edit.Content.ReadAsStringAsync())!.AsObject();
        Assert.True(edit.StatusCode == HttpStatusCode.OK, edited.ToJsonString());
        Assert.Equal(1, edited["cancelledProposals"]!.GetValue<int>());
        var grant = await GrantAsync(alice, agentId, grantId);
        Assert.Equal(["partner.example"], grant["bounds"]!["domains"]!.AsArray().Select(d => d!.GetValue<string>()));
        Assert.Equal(3, grant["maxPerDay"]!.GetValue<int>());
        Assert.Equal($"user:{agentId}", grant["editedBy"]!.GetValue<string>());

        // The held email the narrowed grant no longer covers never goes.
        var cancelled = await ToolHub.WaitForFinalAsync(alice, held);
        Assert.Equal(ProposalStatus.Cancelled, ToolHub.Status(cancelled));
        Assert.Contains($"grant {grantId} was narrowed", cancelled["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // A new proposal outside the new bound waits and says why; one inside it is still covered.
        var outside = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("tom@acme.com", "After the edit"));
        var waiting = await ToolHub.WaitForProposalAsync(alice, outside, p => p["grantNote"] is not null);
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(waiting));
        Assert.Contains("tom@acme.com", waiting["grantNote"]!.GetValue<string>(), StringComparison.Ordinal);
        var inside = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("ann@partner.example", "Still covered"));
        Assert.Equal(grantId, (await ToolHub.WaitForStatusAsync(alice, inside, ProposalStatus.Held))["grant"]!.GetValue<string>());
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailSend));

        var audit = (await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/audit?top=500"))!.Select(a => a!.AsObject()).ToList();
        Assert.Contains(audit, a => a["action"]!.GetValue<string>() == "grant.edited" && a["target"]!.GetValue<string>() == grantId);
    }

    [Fact]
    public async Task AnEditAboveTheCeiling_OrOfTheType_IsRefusedWithAProblem_AndARevokedGrantCannotBeEdited()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, NoUndoWindow]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        var bobId = await tools.OnboardWithGoogleAsync("bob@company.com", "Bob");
        using var alice = tools.User(agentId);
        using var admin = tools.Admin();
        var grantId = (await CreateGrantAsync(alice, agentId, Grant("send_email", new JsonObject { ["domains"] = new JsonArray("company.com") }, 5)))["grantId"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/admin/grant-ceilings/send_email", new { allowed = true, bounds = new { domains = new[] { "company.com" } }, maxPerDay = 10 })).StatusCode);
        var path = $"/api/agents/{agentId}/grants/{grantId}";
        var autonomy = (await alice.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}"))!["autonomy"]!;
        Assert.Equal(2, autonomy["level"]!.GetValue<int>());
        Assert.Equal(["send_email"], autonomy["grants"]!.AsArray().Select(t => t!.GetValue<string>()));

        await AssertInvalidAsync(await alice.PatchAsJsonAsync(path, new { maxPerDay = 20 }), "maxPerDay", "at most 10");
        await AssertInvalidAsync(await alice.PatchAsJsonAsync(path, new { bounds = new { domains = new[] { "acme.com" } } }), "bounds", "acme.com");
        await AssertInvalidAsync(await alice.PatchAsJsonAsync(path, new { type = "create_attio_task" }), "type", "cannot change");
        await AssertInvalidAsync(await alice.PatchAsJsonAsync(path, new { bounds = new { domains = new[] { "not a domain" } } }), "bounds.domains", "not a domain");
        await AssertInvalidAsync(await alice.PatchAsJsonAsync(path, new { expiresInDays = 91 }), "expiresInDays", "1 to 90");
        await AssertInvalidAsync(await alice.PatchAsJsonAsync(path, new { }), "bounds", "at least one");
        var unchanged = await GrantAsync(alice, agentId, grantId);
        Assert.Equal(5, unchanged["maxPerDay"]!.GetValue<int>());
        Assert.Null(unchanged["editedAt"]);

        var longer = await alice.PatchAsJsonAsync(path, new { expiresInDays = 30, maxPerDay = 10 });
        Assert.True(longer.StatusCode == HttpStatusCode.OK, await longer.Content.ReadAsStringAsync());
        var extended = await GrantAsync(alice, agentId, grantId);
        Assert.InRange(extended["expiresAt"]!.GetValue<DateTimeOffset>() - extended["editedAt"]!.GetValue<DateTimeOffset>(), TimeSpan.FromDays(30), TimeSpan.FromDays(30));
        Assert.Equal(10, extended["maxPerDay"]!.GetValue<int>());

        using (var bob = tools.User(bobId))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await bob.PatchAsJsonAsync(path, new { maxPerDay = 1 })).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await alice.PatchAsJsonAsync($"/api/agents/{agentId}/grants/g-nosuchgrant", new { maxPerDay = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.DeleteAsync(path)).StatusCode);
        var revoked = await alice.PatchAsJsonAsync(path, new { maxPerDay = 1 });
        Assert.Equal(HttpStatusCode.Conflict, revoked.StatusCode);
        Assert.Equal("application/problem+json", revoked.Content.Headers.ContentType?.MediaType);
        Assert.Contains("revoked", await revoked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("revoked", (await GrantAsync(alice, agentId, grantId))["status"]!.GetValue<string>());
        Assert.Equal(1, (await alice.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}"))!["autonomy"]!["level"]!.GetValue<int>());
    }

    /// <summary>
    /// The writes issue 21 added to Attio and Notion are grantable: a proposal inside the grant runs without a decision
    /// (no undo window: nobody else is told), one outside its bounds — or past its count — waits and says why.
    /// </summary>
    [Fact]
    public async Task TheNewAttioAndNotionWrites_AreGrantable_InsideRunsWithoutAClick_OutsideWaits()
    {
        var f = new ToolHubFixture();
        await f.InitializeAsync();
        try
        {
            using var alice = f.Tools.User(f.Alice);
            var archived = ProposalCases.Payload(f, ProposalTypes.ArchiveNotionPage);
            var appended = ProposalCases.Payload(f, ProposalTypes.AppendNotionBlocks);
            var otherPage = f.Tools.Notion.AddPage(f.WikiPageId, "Not granted", "Keep.");
            var cases = new (string Type, JsonObject? Bounds, JsonObject Inside, JsonObject Outside, string Says)[]
            {
                (ProposalTypes.CreateAttioRecord, new JsonObject { ["objects"] = new JsonArray("Companies") }, ProposalCases.Payload(f, ProposalTypes.CreateAttioRecord),
                    new JsonObject { ["object"] = "people", ["values"] = new JsonObject { ["name"] = "Mallory" } }, "object people is outside the objects companies"),
                (ProposalTypes.CompleteAttioTask, null, ProposalCases.Payload(f, ProposalTypes.CompleteAttioTask), ProposalCases.Payload(f, ProposalTypes.CompleteAttioTask), "covers 1 a day"),
                // Notion ids match with or without their dashes.
                (ProposalTypes.ArchiveNotionPage, new JsonObject { ["pages"] = new JsonArray(Dashed(archived["pageId"]!.GetValue<string>())) }, archived,
                    new JsonObject { ["pageId"] = otherPage }, $"page {otherPage} is outside the pages"),
                (ProposalTypes.AppendNotionBlocks, new JsonObject { ["pages"] = new JsonArray(appended["pageId"]!.GetValue<string>()) }, appended,
                    new JsonObject { ["pageId"] = otherPage, ["blocks"] = appended["blocks"]!.DeepClone() }, $"page {otherPage} is outside the pages"),
            };

            foreach (var (type, bounds, inside, outside, says) in cases)
            {
                var grantId = (await CreateGrantAsync(alice, f.Alice, Grant(type, bounds, 1)))["grantId"]!.GetValue<string>();

                var covered = await ToolHub.ProposeAsync(alice, f.Alice, type, inside);
                var done = await ToolHub.WaitForFinalAsync(alice, covered);

                Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
                Assert.Equal(grantId, done["grant"]!.GetValue<string>());
                Assert.Equal($"grant:{grantId}", done["decidedBy"]!.GetValue<string>());
                await ProposalCases.AssertEffectAsync(f, type, inside, done);

                var waits = await ToolHub.ProposeAsync(alice, f.Alice, type, outside);
                var waiting = await ToolHub.WaitForProposalAsync(alice, waits, p => p["grantNote"] is not null);
                Assert.True(ToolHub.Status(waiting) == ProposalStatus.Pending, waiting.ToJsonString());
                Assert.Contains(grantId, waiting["grantNote"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.Contains(says, waiting["grantNote"]!.GetValue<string>(), StringComparison.Ordinal);
                Assert.Null(waiting["grant"]);
                await ToolHub.DecideOkAsync(alice, waits, "reject");
            }

            Assert.False(f.Tools.Notion.GetPage(otherPage)!["in_trash"]!.GetValue<bool>());
            Assert.DoesNotContain(f.Tools.Notion.GetBlocks(otherPage), b => b["type"]!.GetValue<string>() == "heading_2");
        }
        finally
        {
            await f.DisposeAsync();
        }

        static string Dashed(string id)
        {
            var hex = id.Replace("-", "", StringComparison.Ordinal).ToUpperInvariant();
            return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
        }
    }

    /// <summary>
    /// The person's grant form and the admin's Grants page offer the types and bounds the hub accepts
    /// (<c>GRANT_TYPES</c> in wwwroot/js/grants.js against <see cref="Entities.GrantRules"/>): none missing, none extra.
    /// </summary>
    [Fact]
    public void TheDashboardsGrantTypes_AreTheGrantableTypes_WithTheirBounds()
    {
        var script = File.ReadAllText(Path.Combine(HubChild.RepositoryRoot, "wwwroot", "js", "grants.js"));
        var table = System.Text.RegularExpressions.Regex.Match(script, @"export const GRANT_TYPES = \{(?<body>.*?)\n\};", System.Text.RegularExpressions.RegexOptions.Singleline).Groups["body"].Value;
        var offered = System.Text.RegularExpressions.Regex.Matches(table, @"^\s*(?<type>[a-z_]+): \{ name: '[^']+', bounds: \{(?<bounds>[^}]*)\} \},", System.Text.RegularExpressions.RegexOptions.Multiline)
            .ToDictionary(m => m.Groups["type"].Value, m => System.Text.RegularExpressions.Regex.Matches(m.Groups["bounds"].Value, @"(?<key>[a-z]+): '").Select(b => b.Groups["key"].Value).ToList());

        Assert.Equal(Entities.GrantRules.Types.Order(StringComparer.Ordinal), offered.Keys.Order(StringComparer.Ordinal));
        foreach (var type in Entities.GrantRules.Types)
        {
            Assert.True(Entities.GrantRules.BoundsOf(type).SequenceEqual(offered[type]), $"{type}: the hub's bounds {string.Join(", ", Entities.GrantRules.BoundsOf(type))}, the dashboard's {string.Join(", ", offered[type])}");
        }
    }

    [Fact]
    public async Task GrantRequests_AreValidatedPerType_WithClearErrors_AndAreThePersonsOwn()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, NoUndoWindow]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        var bobId = await tools.OnboardWithGoogleAsync("bob@company.com", "Bob");
        using var alice = tools.User(agentId);
        async Task<HttpResponseMessage> Post(object body) => await alice.PostAsJsonAsync($"/api/agents/{agentId}/grants", body);

        await AssertInvalidAsync(await Post(Grant("reply_agent", null, 5)), "type", "shares what your agent found");
        await AssertInvalidAsync(await Post(Grant("broadcast", null, 5)), "type", "send_email");
        await AssertInvalidAsync(await Post(Grant("send_email", null, 5)), "bounds.recipients", "needs bounds");
        await AssertInvalidAsync(await Post(Grant("send_email", new JsonObject { ["pages"] = new JsonArray("x") }, 5)), "bounds.pages", "has no bound 'pages'");
        await AssertInvalidAsync(await Post(Grant("send_email", new JsonObject { ["recipients"] = new JsonArray("not-an-address") }, 5)), "bounds.recipients", "not a valid email");
        await AssertInvalidAsync(await Post(Grant("send_email", new JsonObject { ["domains"] = new JsonArray() }, 5)), "bounds.domains", "non-empty");
        await AssertInvalidAsync(await Post(Grant("update_notion_page", new JsonObject { ["parents"] = new JsonArray("abc") }, 5)), "bounds.parents", "it has pages");
        await AssertInvalidAsync(await Post(Grant("create_attio_task", new JsonObject { ["objects"] = new JsonArray("people") }, 5)), "bounds.objects", "no bounds other than");
        await AssertInvalidAsync(await Post(Grant("create_attio_record", null, 5)), "bounds.objects", "needs bounds");
        await AssertInvalidAsync(await Post(Grant("archive_notion_page", new JsonObject { ["parents"] = new JsonArray("abc") }, 5)), "bounds.parents", "it has pages");
        await AssertInvalidAsync(await Post(Grant("append_notion_blocks", null, 5)), "bounds.pages", "needs bounds");
        await AssertInvalidAsync(await Post(Grant("complete_attio_task", new JsonObject { ["objects"] = new JsonArray("people") }, 5)), "bounds.objects", "no bounds other than");
        await AssertInvalidAsync(await Post(Grant("cancel_calendar_event", null, 5)), "type", "send_email");
        await AssertInvalidAsync(await Post(Grant("create_attio_task", null, 0)), "maxPerDay", "1 to 100");
        await AssertInvalidAsync(await Post(Grant("create_attio_task", null, 101)), "maxPerDay", "1 to 100");
        await AssertInvalidAsync(await Post(new JsonObject { ["type"] = "create_attio_task", ["maxPerDay"] = 1, ["expiresInDays"] = 91 }), "expiresInDays", "1 to 90");
        await AssertInvalidAsync(await alice.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new { type = "grant", payload = Grant("create_attio_task", null, 1) }), "type", "POST /api/agents/{agentId}/grants");
        Assert.Empty((await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/grants"))!);

        // Defaults: 7 days; at most 90.
        var week = await CreateGrantAsync(alice, agentId, Grant("create_attio_task", null, 1));
        Assert.Equal(TimeSpan.FromDays(7), week["expiresAt"]!.GetValue<DateTimeOffset>() - week["createdAt"]!.GetValue<DateTimeOffset>());
        var quarter = await CreateGrantAsync(alice, agentId, new JsonObject { ["type"] = "message_agent", ["bounds"] = new JsonObject { ["agents"] = new JsonArray(bobId) }, ["maxPerDay"] = 2, ["expiresInDays"] = 90 });
        Assert.Equal(TimeSpan.FromDays(90), quarter["expiresAt"]!.GetValue<DateTimeOffset>() - quarter["createdAt"]!.GetValue<DateTimeOffset>());
        Assert.Equal(2, (await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/grants"))!.Count);

        // Another person neither sees nor changes Alice's grants.
        using var bob = tools.User(bobId);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/api/agents/{agentId}/grants")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.PostAsJsonAsync($"/api/agents/{agentId}/grants", Grant("create_attio_task", null, 1))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.DeleteAsync($"/api/agents/{agentId}/grants/{week["grantId"]}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.DeleteAsync($"/api/agents/{agentId}/grants/g-nosuchgrant")).StatusCode);
        Assert.Equal("active", (await GrantAsync(alice, agentId, week["grantId"]!.GetValue<string>()))["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task AfterTheThirdApprovalOfNearIdenticalProposals_TheAgentProposesAGrant_ThatThePersonApproves()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [.. ToolHub.PersonLimitsLifted, NoUndoWindow]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        for (var i = 1; i <= 3; i++)
        {
            var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("sarah@acme.com", $"Follow-up {i}"));
            await ToolHub.DecideOkAsync(alice, id, "approve");
            Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, id)));
            var grants = (await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals"))!.Where(p => p!["type"]!.GetValue<string>() == ProposalTypes.Grant).ToList();
            if (i < 3)
            {
                Assert.Empty(grants);
            }
        }

        string suggestion = "";
        await ToolHub.WaitUntilAsync(() =>
        {
            var list = alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals").GetAwaiter().GetResult()!;
            suggestion = list.FirstOrDefault(p => p!["type"]!.GetValue<string>() == ProposalTypes.Grant)?["proposalId"]?.GetValue<string>() ?? "";
            return suggestion.Length > 0;
        }, "the agent's grant proposal");

        // The suggestion waits for the person: nothing is granted yet.
        var proposed = await ToolHub.WaitForStatusAsync(alice, suggestion, ProposalStatus.Pending);
        Assert.Equal("sarah@acme.com", proposed["payload"]!["bounds"]!["recipients"]![0]!.GetValue<string>());
        Assert.Contains("Standing Grant", proposed["card"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty((await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/grants"))!);

        await ToolHub.DecideOkAsync(alice, suggestion, "approve");
        var granted = await ToolHub.WaitForFinalAsync(alice, suggestion);
        Assert.True(ToolHub.Status(granted) == ProposalStatus.Succeeded, granted.ToJsonString());
        var grant = Assert.Single((await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/grants"))!)!.AsObject();
        Assert.Equal(ProposalTypes.SendEmail, grant["type"]!.GetValue<string>());

        // The fourth follow-up runs under it; one to someone else still waits.
        var fourth = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("sarah@acme.com", "Follow-up 4"));
        Assert.Equal(grant["grantId"]!.GetValue<string>(), (await ToolHub.WaitForFinalAsync(alice, fourth))["grant"]!.GetValue<string>());
        var other = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Email("tom@acme.com", "Hello"));
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(await ToolHub.WaitForProposalAsync(alice, other, p => p["grantNote"] is not null)));
        Assert.Equal(4, tools.Google.CallCount(GoogleEndpoints.GmailSend));
    }

    internal static JsonObject Grant(string type, JsonObject? bounds, int maxPerDay)
    {
        var grant = new JsonObject { ["type"] = type, ["maxPerDay"] = maxPerDay };
        if (bounds is not null)
        {
            grant["bounds"] = bounds;
        }

        return grant;
    }

    internal static JsonObject Email(string to, string subject) => new() { ["to"] = to, ["subject"] = subject, ["body"] = "Hello." };

    internal static async Task<JsonObject> CreateGrantAsync(HttpClient http, string agentId, JsonObject grant)
    {
        var response = await http.PostAsJsonAsync($"/api/agents/{agentId}/grants", grant);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Creating a grant answered {(int)response.StatusCode}: {body}");
        var json = JsonNode.Parse(body)!.AsObject();
        Assert.StartsWith("g-", json["grantId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal($"/api/agents/{agentId}/grants/{json["grantId"]}", response.Headers.Location!.OriginalString);
        return json;
    }

    private static async Task<JsonObject> GrantAsync(HttpClient http, string agentId, string grantId) =>
        (await http.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/grants"))!.Single(g => g!["grantId"]!.GetValue<string>() == grantId)!.AsObject();

    private static async Task AssertInvalidAsync(HttpResponseMessage response, string field, string says)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"Expected 400, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = JsonNode.Parse(body)!["errors"]!.AsObject();
        Assert.True(errors[field] is JsonArray messages && messages.Any(m => m!.GetValue<string>().Contains(says, StringComparison.Ordinal)), $"Expected {field} to say '{says}': {body}");
    }
}
