using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Google;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// Exactly one email per approval, whatever happens between the approval and Gmail's answer: the host stops after the
/// approval but before the send, the host stops after Gmail accepted the send but before the hub learned it, or the
/// answer is lost to a timeout. The hub restarts on the same data directory, port and master key.
/// </summary>
public sealed class ProposalCrashTests
{
    [Fact]
    public async Task HostStopsAfterApproval_BeforeTheSend_SendsExactlyOnceAfterRestart()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        var (id, subject) = await ProposeEmailAsync(tools, agentId);

        // The action's first call (the access-token refresh) hangs: the approval is recorded, nothing was sent yet.
        var tokenCalls = tools.Google.CallCount(GoogleEndpoints.Token);
        tools.Google.DelayNext(1, TimeSpan.FromMinutes(2), GoogleEndpoints.Token);
        using (var alice = tools.User(agentId))
        {
            await ToolHub.DecideOkAsync(alice, id, "approve");
            await ToolHub.WaitUntilAsync(() => tools.Google.CallCount(GoogleEndpoints.Token) == tokenCalls + 1, "the action to start");
            Assert.Equal(ProposalStatus.Executing, ToolHub.Status(await ToolHub.GetProposalAsync(alice, id)));
        }

        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailSend));

        await tools.RestartAsync();

        using var after = tools.User(agentId);
        var done = await ToolHub.WaitForFinalAsync(after, id);
        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(1, tools.Google.CallCount(GoogleEndpoints.GmailSend));
        Assert.Single(tools.Google.SentEmails, m => m.Subject == subject);
    }

    [Fact]
    public async Task HostStopsAfterGmailAcceptedTheSend_BeforeTheResultWasRecorded_DoesNotSendAgain()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        var (id, subject) = await ProposeEmailAsync(tools, agentId);

        // Gmail takes the message, but its answer never reaches the hub before the host goes down.
        tools.Google.DelayResponseNext(1, TimeSpan.FromMinutes(2), GoogleEndpoints.GmailSend);
        using (var alice = tools.User(agentId))
        {
            await ToolHub.DecideOkAsync(alice, id, "approve");
            await ToolHub.WaitUntilAsync(() => tools.Google.SentEmails.Any(m => m.Subject == subject), "Gmail to accept the message");
            Assert.Equal(ProposalStatus.Executing, ToolHub.Status(await ToolHub.GetProposalAsync(alice, id)));
        }

        await tools.RestartAsync();

        using var after = tools.User(agentId);
        var done = await ToolHub.WaitForFinalAsync(after, id);
        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Contains("earlier attempt", done["result"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, tools.Google.CallCount(GoogleEndpoints.GmailSend));
        var mail = Assert.Single(tools.Google.SentEmails, m => m.Subject == subject);
        Assert.Equal(MimeMessageId(id), mail.Header("Message-ID"));
    }

    [Fact]
    public async Task GmailAnswerLostToATimeout_RetryFindsTheMessage_DoesNotSendAgain()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [new("Google:RequestTimeout", "00:00:01.500")]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        var (id, subject) = await ProposeEmailAsync(tools, agentId);
        tools.Google.DelayResponseNext(1, TimeSpan.FromSeconds(30), GoogleEndpoints.GmailSend);

        using var alice = tools.User(agentId);
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(2, done["attempts"]!.GetValue<int>());
        Assert.Contains("earlier attempt", done["result"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, tools.Google.CallCount(GoogleEndpoints.GmailSend));
        Assert.Single(tools.Google.SentEmails, m => m.Subject == subject);
    }

    [Fact]
    public async Task CalendarAnswerLostToATimeout_RetryIsRefusedAsDuplicate_EventCreatedOnce()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [new("Google:RequestTimeout", "00:00:01.500")]);
        var agentId = await tools.OnboardWithGoogleAsync("alice@company.com", "Alice");
        using var alice = tools.User(agentId);
        var summary = $"Signing {Guid.NewGuid():N}";
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.CreateCalendarEvent, new JsonObject { ["summary"] = summary, ["start"] = "2030-03-01T10:00:00Z", ["end"] = "2030-03-01T11:00:00Z" });
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        tools.Google.DelayResponseNext(1, TimeSpan.FromSeconds(30), GoogleEndpoints.CalendarInsert);

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(2, done["attempts"]!.GetValue<int>());
        Assert.Contains("earlier attempt", done["result"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, tools.Google.CallCount(GoogleEndpoints.CalendarInsert));
        Assert.Single(tools.Google.Account("alice@company.com").Events, e => e["summary"]!.GetValue<string>() == summary);
    }

    private static async Task<(string Id, string Subject)> ProposeEmailAsync(ToolHub tools, string agentId)
    {
        using var alice = tools.User(agentId);
        var subject = $"Contract {Guid.NewGuid():N}";
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = subject, ["body"] = "Signed copy attached." });
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        return (id, subject);
    }

    private static string MimeMessageId(string proposalId) =>
        Integrations.Mail.MimeMessageBuilder.MessageIdFor($"{proposalId}:1", "company.com");
}
