using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// Every action type through <c>POST /api/agents/{id}/proposals</c> → approve / edit-then-approve / reject over HTTP,
/// with the fakes receiving exactly the approved (edited) content; expiry is in <see cref="ProposalExpiryHttpTests"/>.
/// </summary>
public sealed class ProposalActionsHttpTests(ToolHubFixture fixture) : IClassFixture<ToolHubFixture>
{
    public static TheoryData<string> Types => [.. ProposalCases.EveryType];

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Proposal_Approved_ToolReceivesExactlyThePayload(string type)
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var payload = ProposalCases.Payload(fixture, type);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, type, payload);
        var pending = await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        Assert.Contains("📋 **Action Proposal**", pending["card"]!.GetValue<string>(), StringComparison.Ordinal);

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(1, done["attempts"]!.GetValue<int>());
        Assert.Equal("user:" + fixture.Alice, done["decidedBy"]!.GetValue<string>());
        await ProposalCases.AssertEffectAsync(fixture, type, payload, done);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Proposal_EditedThenApproved_ToolReceivesTheEditedRevision(string type)
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var original = ProposalCases.Payload(fixture, type);
        var changes = ProposalCases.Edit(type, fixture);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, type, original);
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        var writesBefore = await fixture.WritesAsync();

        await ToolHub.DecideOkAsync(alice, id, "edit", changes);
        var edited = await ToolHub.WaitForProposalAsync(alice, id, p => p["revision"]!.GetValue<int>() == 2);
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(edited));
        Assert.Contains("(revision 2)", edited["card"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(original.ToJsonString(), edited["revisions"]![0]!["payload"]!.ToJsonString());
        Assert.Equal(writesBefore, await fixture.WritesAsync());

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        var expected = ProposalValidator.ApplyChanges(original, changes);
        Assert.Equal(expected.ToJsonString(), done["payload"]!.ToJsonString());
        await ProposalCases.AssertEffectAsync(fixture, type, expected, done);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Proposal_Rejected_NothingIsWritten(string type)
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, type, ProposalCases.Payload(fixture, type));
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        var writesBefore = await fixture.WritesAsync();

        await ToolHub.DecideOkAsync(alice, id, "reject", reason: "not now");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.Equal(ProposalStatus.Rejected, ToolHub.Status(done));
        Assert.Equal("not now", done["reason"]!.GetValue<string>());
        Assert.Equal(writesBefore, await fixture.WritesAsync());
        await ToolHub.WaitUntilAsync(
            () => alice.GetFromJsonAsync<JsonArray>($"/api/agents/{fixture.Alice}/proposals?status=rejected").GetAwaiter().GetResult()!.Any(p => p!["proposalId"]!.GetValue<string>() == id),
            "the rejected proposal in the agent's list");
    }

    [Fact]
    public async Task SendEmail_EditedThenApproved_GmailGetsProperRfc2822WithUtf8Subject()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.SendEmail, new JsonObject
        {
            ["to"] = "sarah@acme.com",
            ["subject"] = "Follow-up",
            ["body"] = "Hi Sarah,\nthanks for yesterday.",
        });
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        const string subject = "Angebot für Q2 — Grüße ✓ and a long tail so that the encoded subject has to be folded over lines";
        const string body = "Hi Sarah,\n\nhere is the offer: 12 500 € per quarter.\nA line of dots:\n.\nBest,\nAlice";

        await ToolHub.DecideOkAsync(alice, id, "edit", new JsonObject { ["subject"] = subject, ["body"] = body, ["cc"] = new JsonArray("bob@company.com"), ["to"] = "sarah@acme.com, ceo@acme.com" });
        await ToolHub.WaitForProposalAsync(alice, id, p => p["revision"]!.GetValue<int>() == 2);
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        var mail = Assert.Single(fixture.Tools.Google.SentEmails, m => m.Subject == subject);
        Assert.Equal("alice@company.com", mail.Account);
        Assert.Equal("alice@company.com", mail.From);
        Assert.Equal(["sarah@acme.com", "ceo@acme.com"], mail.To);
        Assert.Equal(["bob@company.com"], mail.Cc);
        Assert.Equal(body, mail.Body);
        Assert.True(mail.UsesCrlf, "every line of the message ends in CRLF");
        Assert.True(mail.LongestLine <= 78, $"header lines are folded (longest {mail.LongestLine})");
        var rawHeaders = mail.Raw[..mail.Raw.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        Assert.DoesNotContain("ü", rawHeaders, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^Subject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=\r\n(?: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=\r\n)+", RegexOptions.Multiline), rawHeaders + "\r\n");
        Assert.Contains("MIME-Version: 1.0\r\n", rawHeaders, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; charset=UTF-8\r\n", rawHeaders, StringComparison.Ordinal);
        Assert.Contains("Content-Transfer-Encoding: quoted-printable", rawHeaders, StringComparison.Ordinal);
        Assert.Matches(@"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$", mail.Header("Date")!);
        Assert.Single(mail.HeaderValues("Message-ID"));
        Assert.Single(mail.HeaderValues("Subject"));
        Assert.Contains(mail.GmailId, done["result"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
