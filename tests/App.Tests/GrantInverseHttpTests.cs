using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Notion;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// A Notion or Attio change that ran under a grant is shown with its inverse (archive the page, restore the values it
/// replaced, delete the note or task); the person applies it once, through the durable action path, audited as the
/// inverse of the proposal under the grant. A change approved by hand, or one without an inverse, says so.
/// </summary>
public sealed class GrantInverseHttpTests
{
    [Fact]
    public async Task AnAutoApprovedNotionPageCreation_ShowsAnInverse_ApplyingItArchivesThePage_ASecondApplyIsRefused()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Notion, [.. ToolHub.PersonLimitsLifted]);
        var agentId = await tools.OnboardWithDevSignInAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        var wiki = tools.Notion.AddPage(null, "Team Wiki", "Welcome.");
        var grantId = (await GrantHttpTests.CreateGrantAsync(alice, agentId, GrantHttpTests.Grant("create_notion_page", new JsonObject { ["parents"] = new JsonArray(wiki) }, 5)))["grantId"]!.GetValue<string>();

        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.CreateNotionPage, new JsonObject { ["parentPageId"] = wiki, ["title"] = "Standup notes", ["content"] = "Nothing blocked." });
        var done = await ToolHub.WaitForFinalAsync(alice, id);
        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(grantId, done["grant"]!.GetValue<string>());
        var inverse = done["inverse"]!.AsObject();
        Assert.Equal(InverseActions.ArchiveNotionPage, inverse["action"]!.GetValue<string>());
        Assert.Equal(ProposalInverse.Available, inverse["status"]!.GetValue<string>());
        Assert.Contains("Archive the page \"Standup notes\"", inverse["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(inverse["until"]);
        var pageId = inverse["payload"]!["pageId"]!.GetValue<string>();
        Assert.False(tools.Notion.GetPage(pageId)!["in_trash"]!.GetValue<bool>());

        var after = await ApplyInverseAsync(alice, id);
        Assert.Equal($"user:{agentId}", after["inverse"]!["appliedBy"]!.GetValue<string>());
        Assert.True(tools.Notion.GetPage(pageId)!["in_trash"]!.GetValue<bool>());
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(after));

        // Once only: a second click is refused, and Notion is not called again.
        var updates = tools.Notion.CallCount(NotionEndpoints.PagesUpdate);
        var again = await alice.PostAsync($"/api/proposals/{id}/inverse", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);
        Assert.Contains("applied", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(updates, tools.Notion.CallCount(NotionEndpoints.PagesUpdate));

        // Audited as the person's action: the inverse of this proposal under this grant.
        var audit = (await alice.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/audit?top=500"))!.Select(a => a!.AsObject()).Where(a => a["target"]?.GetValue<string>() == id).ToList();
        var record = Assert.Single(audit, a => a["action"]!.GetValue<string>() == "proposal.inverse-applied");
        Assert.Contains($"inverse of proposal {id} under grant {grantId}", record["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal($"user:{agentId}", record["actor"]!.GetValue<string>());

        // A change approved by hand has no inverse to apply.
        var byHand = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.CreateNotionPage, new JsonObject { ["parentPageId"] = tools.Notion.AddPage(null, "Other", "x"), ["title"] = "By hand", ["content"] = "x" });
        await ToolHub.WaitForProposalAsync(alice, byHand, p => p["grantNote"] is not null);
        await ToolHub.DecideOkAsync(alice, byHand, "approve");
        var manual = await ToolHub.WaitForFinalAsync(alice, byHand);
        Assert.Null(manual["inverse"]);
        var none = await alice.PostAsync($"/api/proposals/{byHand}/inverse", null);
        Assert.Equal(HttpStatusCode.Conflict, none.StatusCode);
        Assert.Contains("has no inverse", await none.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotionPageUpdate_UnderAGrant_InverseRestoresThePreviousValue_AndAppendedTextIsSaidToHaveNone()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Notion, [.. ToolHub.PersonLimitsLifted]);
        var agentId = await tools.OnboardWithDevSignInAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        var database = tools.Notion.AddDatabase("Tasks", new JsonObject
        {
            ["Name"] = new JsonObject { ["title"] = new JsonObject() },
            ["Status"] = new JsonObject { ["select"] = new JsonObject { ["options"] = new JsonArray(new JsonObject { ["name"] = "Todo" }, new JsonObject { ["name"] = "Done" }) } },
        });
        var pageId = tools.Notion.AddDatabasePage(database.Id, "Ship v2", new JsonObject { ["Status"] = new JsonObject { ["select"] = new JsonObject { ["name"] = "Todo" } } });
        await GrantHttpTests.CreateGrantAsync(alice, agentId, GrantHttpTests.Grant("update_notion_page", new JsonObject { ["pages"] = new JsonArray(pageId) }, 5));

        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.UpdateNotionPage, new JsonObject { ["pageId"] = pageId, ["properties"] = new JsonObject { ["Status"] = "Done" } });
        var done = await ToolHub.WaitForFinalAsync(alice, id);
        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal("Done", Status(tools.Notion, pageId));
        Assert.Equal(InverseActions.RestoreNotionPage, done["inverse"]!["action"]!.GetValue<string>());

        await ApplyInverseAsync(alice, id);
        Assert.Equal("Todo", Status(tools.Notion, pageId));

        // Appending text has no inverse here: the card says so, and applying is refused.
        var append = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.UpdateNotionPage, new JsonObject { ["pageId"] = pageId, ["appendText"] = "Shipped." });
        var appended = await ToolHub.WaitForFinalAsync(alice, append);
        Assert.True(ToolHub.Status(appended) == ProposalStatus.Succeeded, appended.ToJsonString());
        Assert.Equal(ProposalInverse.Unavailable, appended["inverse"]!["status"]!.GetValue<string>());
        Assert.Contains("No inverse", appended["inverse"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await alice.PostAsync($"/api/proposals/{append}/inverse", null)).StatusCode);
    }

    [Fact]
    public async Task AttioChanges_UnderAGrant_RecordUpdateInverseRestoresTheOldValues_NoteAndTaskInversesDeleteThem()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Attio, [.. ToolHub.PersonLimitsLifted]);
        var agentId = await tools.OnboardWithDevSignInAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        var personId = tools.Attio.AddRecord("people", new JsonObject
        {
            ["name"] = new JsonArray(new JsonObject { ["first_name"] = "Sarah", ["last_name"] = "Client", ["full_name"] = "Sarah Client" }),
            ["email_addresses"] = new JsonArray("sarah@acme.com"),
            ["job_title"] = "Engineer",
        });
        await GrantHttpTests.CreateGrantAsync(alice, agentId, GrantHttpTests.Grant("update_attio_record", new JsonObject { ["objects"] = new JsonArray("people") }, 5));
        await GrantHttpTests.CreateGrantAsync(alice, agentId, GrantHttpTests.Grant("create_attio_note", new JsonObject { ["objects"] = new JsonArray("people") }, 5));
        await GrantHttpTests.CreateGrantAsync(alice, agentId, GrantHttpTests.Grant("create_attio_task", null, 5));

        // A single-value attribute replaced and a multi-value one added to: restoring writes back exactly the old values.
        var update = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.UpdateAttioRecord, new JsonObject
        {
            ["object"] = "people",
            ["recordId"] = personId,
            ["values"] = new JsonObject { ["job_title"] = "CTO", ["email_addresses"] = new JsonArray("sarah@client.example") },
        });
        var updated = await ToolHub.WaitForFinalAsync(alice, update);
        Assert.True(ToolHub.Status(updated) == ProposalStatus.Succeeded, updated.ToJsonString());
        Assert.Equal("CTO", Current(tools.Attio, personId, "job_title").Single()["value"]!.GetValue<string>());
        Assert.Equal(2, Current(tools.Attio, personId, "email_addresses").Count);
        Assert.Equal(InverseActions.RestoreAttioRecord, updated["inverse"]!["action"]!.GetValue<string>());

        await ApplyInverseAsync(alice, update);
        Assert.Equal("Engineer", Current(tools.Attio, personId, "job_title").Single()["value"]!.GetValue<string>());
        Assert.Equal("sarah@acme.com", Current(tools.Attio, personId, "email_addresses").Single()["email_address"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, (await alice.PostAsync($"/api/proposals/{update}/inverse", null)).StatusCode);
        Assert.Equal(1, tools.Attio.CallCount(AttioEndpoints.RecordsReplace));

        var note = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.CreateAttioNote, new JsonObject { ["parentObject"] = "people", ["parentRecordId"] = personId, ["title"] = "Call", ["content"] = "Went well." });
        var task = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.CreateAttioTask, new JsonObject { ["content"] = "Send the offer" });
        foreach (var (proposal, action) in new[] { (note, InverseActions.DeleteAttioNote), (task, InverseActions.DeleteAttioTask) })
        {
            var created = await ToolHub.WaitForFinalAsync(alice, proposal);
            Assert.True(ToolHub.Status(created) == ProposalStatus.Succeeded, created.ToJsonString());
            Assert.Equal(action, created["inverse"]!["action"]!.GetValue<string>());
        }

        Assert.Single(tools.Attio.Notes);
        Assert.Single(tools.Attio.Tasks);
        await ApplyInverseAsync(alice, note);
        await ApplyInverseAsync(alice, task);

        Assert.Empty(tools.Attio.Notes);
        Assert.Empty(tools.Attio.Tasks);
        Assert.Equal(1, tools.Attio.CallCount(AttioEndpoints.NotesDelete));
        Assert.Equal(1, tools.Attio.CallCount(AttioEndpoints.TasksDelete));
    }

    /// <summary>Applies a proposal's inverse over HTTP (202) and waits until it ran; asserts that it was applied.</summary>
    private static async Task<JsonObject> ApplyInverseAsync(HttpClient http, string proposalId)
    {
        var response = await http.PostAsync($"/api/proposals/{proposalId}/inverse", null);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var after = await ToolHub.WaitForProposalAsync(http, proposalId, p => p["inverse"]?["status"]?.GetValue<string>() is ProposalInverse.Applied or ProposalInverse.Failed);
        Assert.True(after["inverse"]!["status"]!.GetValue<string>() == ProposalInverse.Applied, after.ToJsonString());
        return after;
    }

    private static string Status(FakeNotion notion, string pageId) => notion.GetPage(pageId)!["properties"]!["Status"]!["select"]!["name"]!.GetValue<string>();

    private static List<JsonObject> Current(FakeAttio attio, string recordId, string attribute) =>
        attio.GetRecord("people", recordId)!["values"]![attribute]!.AsArray().Select(v => v!.AsObject()).Where(v => v["active_until"] is null).ToList();
}
