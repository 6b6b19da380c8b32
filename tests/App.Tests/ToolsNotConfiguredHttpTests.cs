using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Activities;
using CompanyHub.Integrations;
using CompanyHub.Orchestrations.Approvals;
using Microsoft.Extensions.DependencyInjection;

namespace CompanyHub.Tests;

/// <summary>A hub with no company credentials at all still runs; each tool says clearly what is missing.</summary>
public sealed class ToolsNotConfiguredHttpTests
{
    [Fact]
    public async Task HubWithoutCredentials_Runs_AndEveryToolSaysWhatIsMissing()
    {
        await using var tools = await ToolHub.StartAsync(Tools.None);
        var agentId = await tools.OnboardWithDevSignInAsync("dana@company.com", "Dana");
        using var dana = tools.User(agentId);
        using var admin = tools.Admin();

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/admin/health")).StatusCode);

        // Proposing a write whose tool has no credentials is refused at once, not after the person approved it.
        var expected = new Dictionary<string, string>
        {
            [ProposalTypes.SendEmail] = "set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET",
            [ProposalTypes.CreateCalendarEvent] = "set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET",
            [ProposalTypes.CreateNotionPage] = "Notion is not configured: set NOTION_API_KEY",
            [ProposalTypes.UpdateNotionPage] = "Notion is not configured: set NOTION_API_KEY",
            [ProposalTypes.UpdateAttioRecord] = "Attio is not configured: set ATTIO_API_KEY",
            [ProposalTypes.CreateAttioNote] = "Attio is not configured: set ATTIO_API_KEY",
            [ProposalTypes.CreateAttioTask] = "Attio is not configured: set ATTIO_API_KEY",
        };
        foreach (var (type, missing) in expected)
        {
            var response = await dana.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new { type, payload = Payload(type) });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(missing, (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // Messaging another agent needs no credential.
        var message = await ToolHub.ProposeAsync(dana, agentId, ProposalTypes.MessageAgent, new JsonObject { ["agentId"] = "orchestrator", ["text"] = "Hello" });
        await ToolHub.DecideOkAsync(dana, message, "approve");
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(dana, message)));

        // Read tools answer the same clear error (the agent's model sees it as the tool's result).
        var reads = tools.Hub.Services.GetRequiredService<IReadToolRunner>();
        foreach (var (tool, arguments, text) in new[]
        {
            ("gmail_search", new JsonObject { ["query"] = "x" }, "set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET"),
            ("calendar_list_events", new JsonObject(), "set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET"),
            ("notion_search", new JsonObject { ["query"] = "x" }, "Notion is not configured: set NOTION_API_KEY"),
            ("attio_query_records", new JsonObject { ["object"] = "people" }, "Attio is not configured: set ATTIO_API_KEY"),
        })
        {
            var ex = await Assert.ThrowsAsync<ToolNotConfiguredException>(() => reads.RunAsync(agentId, tool, arguments, default));
            Assert.Contains(text, ex.Message, StringComparison.Ordinal);
        }

        // An approved action whose tool lost its credentials fails with that message, once, without retries.
        var runner = tools.Hub.Services.GetRequiredService<IProposalActionRunner>();
        var result = await runner.RunAsync(new ActionRequest("p-test", 1, agentId, "dana@company.com", ProposalTypes.CreateNotionPage, Payload(ProposalTypes.CreateNotionPage), "p-test:1"), default);
        Assert.False(result.Succeeded);
        Assert.False(result.Transient);
        Assert.Equal("Notion is not configured: set NOTION_API_KEY", result.Error);

        Assert.Equal(HttpStatusCode.OK, (await dana.GetAsync($"/api/agents/{agentId}")).StatusCode);
    }

    [Fact]
    public async Task AgentWithoutGoogleAccount_CannotProposeEmail_ButOtherToolsWork()
    {
        // Google is configured for the hub, but the orchestrator agent has no Google account connected yet.
        await using var tools = await ToolHub.StartAsync(Tools.Google | Tools.Notion);
        using var admin = tools.Admin();

        var response = await admin.PostAsJsonAsync("/api/agents/orchestrator/proposals", new { type = ProposalTypes.SendEmail, payload = Payload(ProposalTypes.SendEmail) });
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("/oauth/google/connect-sender", (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var parent = tools.Notion.AddPage(null, "Wiki");
        var id = await ToolHub.ProposeAsync(admin, "orchestrator", ProposalTypes.CreateNotionPage, new JsonObject { ["parentPageId"] = parent, ["title"] = "Hello" });
        await ToolHub.DecideOkAsync(admin, id, "approve");
        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(admin, id)));
    }

    private static JsonObject Payload(string type) => type switch
    {
        ProposalTypes.SendEmail => new JsonObject { ["to"] = "a@acme.com", ["subject"] = "s", ["body"] = "b" },
        ProposalTypes.CreateCalendarEvent => new JsonObject { ["summary"] = "s", ["start"] = "2030-01-01T09:00:00Z", ["end"] = "2030-01-01T10:00:00Z" },
        ProposalTypes.CreateNotionPage => new JsonObject { ["parentPageId"] = "p", ["title"] = "t" },
        ProposalTypes.UpdateNotionPage => new JsonObject { ["pageId"] = "p", ["appendText"] = "t" },
        ProposalTypes.UpdateAttioRecord => new JsonObject { ["object"] = "people", ["recordId"] = "r", ["values"] = new JsonObject { ["job_title"] = "x" } },
        ProposalTypes.CreateAttioNote => new JsonObject { ["parentObject"] = "people", ["parentRecordId"] = "r", ["title"] = "t", ["content"] = "c" },
        ProposalTypes.CreateAttioTask => new JsonObject { ["content"] = "c" },
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
