using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>The card's words typed in chat decide the newest pending proposal, by the same rules as the decision endpoint.</summary>
public sealed class ChatDecisionHttpTests(ToolHubFixture fixture) : IClassFixture<ToolHubFixture>
{
    [Fact]
    public async Task ChatWords_EditThenYes_SendTheEditedEmail_No_Rejects()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.SendEmail, ProposalCases.Payload(fixture, ProposalTypes.SendEmail));
        await WaitListedPendingAsync(alice, id);
        var subject = $"From chat {Guid.NewGuid():N}";

        var edit = await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/messages", new { text = $"edit: subject={subject}" });
        Assert.Equal(HttpStatusCode.Accepted, edit.StatusCode);
        var edited = (await edit.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(id, edited["proposalId"]!.GetValue<string>());
        Assert.Equal(2, edited["revision"]!.GetValue<int>());

        var bad = await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/messages", new { text = "edit: to=not-an-address" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("changes.to", (await bad.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key));

        var yes = await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/messages", new { text = "yes" });
        Assert.Equal(HttpStatusCode.Accepted, yes.StatusCode);
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, id)));
        Assert.Single(fixture.Tools.Google.SentEmails, m => m.Subject == subject);

        var other = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
        await WaitListedPendingAsync(alice, other);
        Assert.Equal(HttpStatusCode.Accepted, (await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/messages", new { text = "no" })).StatusCode);
        Assert.Equal(ProposalStatus.Rejected, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, other)));

        var conversation = (await alice.GetFromJsonAsync<JsonObject>($"/api/agents/{fixture.Alice}/messages"))!["messages"]!.AsArray();
        Assert.Contains(conversation, m => m!["text"]!.GetValue<string>().StartsWith("Applied \"approve\" to proposal " + id, StringComparison.Ordinal));
        Assert.Contains(conversation, m => m!["text"]!.GetValue<string>().StartsWith("Could not apply \"edit\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChatYes_OnAProposalSomeoneElseEdited_IsRefused_NothingRuns_ButNoStillRejects()
    {
        // Arrange: the admin rewrites Alice's proposal; the chat never showed her that text.
        using var alice = fixture.Tools.User(fixture.Alice);
        using var admin = fixture.Tools.Admin();
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.SendEmail, ProposalCases.Payload(fixture, ProposalTypes.SendEmail));
        await WaitListedPendingAsync(alice, id);
        var subject = $"Edited by the admin {Guid.NewGuid():N}";
        await ToolHub.DecideOkAsync(admin, id, "edit", new JsonObject { ["subject"] = subject });

        // Act
        var yes = await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/messages", new { text = "yes" });

        // Assert: refused with the current card; still pending at revision 2; no email; the chat says why.
        Assert.Equal(HttpStatusCode.Conflict, yes.StatusCode);
        var refusal = (await yes.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(2, refusal["revision"]!.GetValue<int>());
        Assert.Contains(subject, refusal["card"]!.GetValue<string>(), StringComparison.Ordinal);
        var now = await ToolHub.GetProposalAsync(alice, id);
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(now));
        Assert.DoesNotContain(fixture.Tools.Google.SentEmails, m => m.Subject == subject);
        var conversation = (await alice.GetFromJsonAsync<JsonObject>($"/api/agents/{fixture.Alice}/messages?top=500"))!["messages"]!.AsArray();
        Assert.Contains(conversation, m => m!["text"]!.GetValue<string>().StartsWith($"Could not apply \"approve\" to proposal {id}", StringComparison.Ordinal)
            && m["text"]!.GetValue<string>().Contains("admin edited it", StringComparison.Ordinal));

        // Rejecting runs nothing, so it stays available in chat.
        Assert.Equal(HttpStatusCode.Accepted, (await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/messages", new { text = "no" })).StatusCode);
        Assert.Equal(ProposalStatus.Rejected, ToolHub.Status(await ToolHub.WaitForFinalAsync(alice, id)));
    }

    private static Task WaitListedPendingAsync(HttpClient http, string id) =>
        ToolHub.WaitUntilAsync(
            () => http.GetFromJsonAsync<JsonArray>("/api/agents/alice-company-com/proposals?status=pending").GetAwaiter().GetResult()!.Any(p => p!["proposalId"]!.GetValue<string>() == id),
            $"{id} listed as pending");
}
