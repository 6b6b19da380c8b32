using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>Offboarding (admin <c>DELETE /api/agents/{agentId}</c>) against the running hub.</summary>
public sealed class OffboardingHttpTests(ToolHubFixture fixture) : IClassFixture<ToolHubFixture>
{
    [Fact]
    public async Task Offboarding_DisablesAgent_RevokesToken_CancelsPendingProposals_KeepsAuditTrail()
    {
        var tools = fixture.Tools;
        var agentId = await tools.OnboardWithGoogleAsync("frank@company.com", "Frank");
        using var frank = tools.User(agentId);
        using var admin = tools.Admin();

        var done = await ToolHub.ProposeAsync(frank, agentId, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
        await ToolHub.DecideOkAsync(frank, done, "approve");
        await ToolHub.WaitForStatusAsync(frank, done, ProposalStatus.Succeeded);
        var pending = await fixture.ProposePendingAsync(frank, agentId, ProposalTypes.SendEmail, ProposalTypes.CreateNotionPage, ProposalTypes.MessageAgent);
        var writes = await fixture.WritesAsync();

        var response = await admin.DeleteAsync($"/api/agents/{agentId}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("disabled", body["status"]!.GetValue<string>());
        Assert.Equal(pending.Count, body["cancelledProposals"]!.GetValue<int>());

        // The token is revoked at once.
        Assert.Equal(HttpStatusCode.Unauthorized, (await frank.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await frank.GetAsync($"/api/agents/{agentId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ToolHub.DecideAsync(frank, pending[0], "approve")).StatusCode);

        // The agent stays listed, disabled; its pending proposals are cancelled and never run.
        var agent = (await admin.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}"))!;
        Assert.Equal("disabled", agent["status"]!.GetValue<string>());
        var agents = (await admin.GetFromJsonAsync<JsonArray>("/api/agents"))!;
        Assert.Equal("disabled", agents.Single(a => a!["agentId"]!.GetValue<string>() == agentId)!["status"]!.GetValue<string>());
        foreach (var id in pending)
        {
            var view = await ToolHub.WaitForFinalAsync(admin, id);
            Assert.Equal(ProposalStatus.Cancelled, ToolHub.Status(view));
            Assert.Equal("the agent was offboarded", view["reason"]!.GetValue<string>());
            var late = await ToolHub.DecideAsync(admin, id, "approve");
            Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        }

        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.GetProposalAsync(admin, done)));
        Assert.Equal(writes, await fixture.WritesAsync());

        // Nothing new can be proposed for it, and the audit trail of what it did is kept.
        var refused = await admin.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new { type = ProposalTypes.CreateAttioTask, payload = ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask) });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var audit = (await admin.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/audit?top=500"))!;
        var actions = audit.Select(a => (Action: a!["action"]!.GetValue<string>(), Target: a["target"]?.GetValue<string>())).ToList();
        Assert.Contains(("agent.offboarded", agentId), actions);
        Assert.Contains(("proposal.approved", done), actions);
        Assert.Contains(("proposal.succeeded", done), actions);
        foreach (var id in pending)
        {
            Assert.Contains(("proposal.created", id), actions);
            await ToolHub.WaitUntilAsync(
                () => admin.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/audit?top=500").GetAwaiter().GetResult()!
                    .Any(a => a!["action"]!.GetValue<string>() == "proposal.cancelled" && a["target"]?.GetValue<string>() == id),
                $"the audit entry of the cancelled {id}");
        }
    }

    [Fact]
    public async Task ProposalRacingTheOffboarding_NeverRuns()
    {
        var tools = fixture.Tools;
        var agentId = await tools.OnboardWithGoogleAsync("grace@company.com", "Grace");
        using var grace = tools.User(agentId);
        using var admin = tools.Admin();
        var writes = await fixture.WritesAsync();

        // Proposed and offboarded at once: the proposal may reach the agent's list after the offboarding read it.
        var id = await ToolHub.ProposeAsync(grace, agentId, ProposalTypes.SendEmail, ProposalCases.Payload(fixture, ProposalTypes.SendEmail));
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/agents/{agentId}")).StatusCode);

        var view = await ToolHub.GetProposalAsync(admin, id);
        if (ToolHub.Status(view) == ProposalStatus.Pending)
        {
            // The admin cannot make a disabled agent act.
            Assert.Equal(HttpStatusCode.Conflict, (await ToolHub.DecideAsync(admin, id, "approve")).StatusCode);

            // Rejecting still works, unless the offboarding's cancel got there first.
            Assert.Contains((await ToolHub.DecideAsync(admin, id, "reject")).StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Conflict });
        }

        Assert.Contains(ToolHub.Status(await ToolHub.WaitForFinalAsync(admin, id)), new[] { ProposalStatus.Cancelled, ProposalStatus.Rejected });
        Assert.Equal(writes, await fixture.WritesAsync());
    }

    [Fact]
    public async Task Offboarding_IsForTheAdminOnly_AndNotForTheOrchestrator()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        using var admin = fixture.Tools.Admin();

        Assert.Equal(HttpStatusCode.NotFound, (await alice.DeleteAsync($"/api/agents/{fixture.Bob}")).StatusCode);
        Assert.Contains((await alice.DeleteAsync($"/api/agents/{fixture.Alice}")).StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Forbidden });
        Assert.Equal(HttpStatusCode.Conflict, (await admin.DeleteAsync("/api/agents/orchestrator")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/agents/nobody-company-com")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/agents/{fixture.Bob}")).StatusCode);
    }
}
