using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace CompanyHub.Tests;

public sealed class SmokeHttpTests
{
    [Fact]
    public async Task AdminInvite_DevSignIn_UserToken_ReachesOnlyItsAgent()
    {
        await using var hub = await HubServer.StartAsync();
        using var admin = hub.Http(hub.AdminToken);

        var invited = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email = "alice@company.com", name = "Alice" });
        Assert.Equal(HttpStatusCode.Accepted, invited.StatusCode);
        var id = (await invited.Content.ReadFromJsonAsync<JsonObject>())!["onboardingId"]!.GetValue<string>();
        var invite = (await admin.GetFromJsonAsync<JsonObject>($"/api/admin/onboardings/{id}/invite"))!["inviteUrl"]!.GetValue<string>();
        var code = invite[(invite.LastIndexOf('/') + 1)..];

        using var anonymous = hub.Http();
        var page = await anonymous.PostAsync($"/invite/{code}/dev-sign-in", new FormUrlEncodedContent([new("email", "alice@company.com")]));
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var token = System.Text.RegularExpressions.Regex.Match(html, "token=([A-Za-z0-9_-]{32})").Groups[1].Value;

        using var alice = hub.Http(token);
        var me = await alice.GetFromJsonAsync<JsonObject>("/api/me");
        Assert.Equal("user", me!["role"]!.GetValue<string>());
        Assert.Equal("alice-company-com", me["agentId"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/agents/orchestrator")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/admin/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/agents/alice-company-com")).StatusCode);
    }
}

public sealed class SelfServiceApprovalTests
{
    [Fact]
    public async Task SelfServiceRequest_WithApprovalRequired_WaitsForTheAdmin_ThenTheOnboardingStarts()
    {
        await using var hub = await HubServer.StartAsync([new("Onboarding:SelfServiceRequiresApproval", "true")]);
        using var anonymous = hub.Http();
        using var admin = hub.Http(hub.AdminToken);

        var requested = await anonymous.PostAsJsonAsync("/api/onboarding/requests", new { email = "erin@company.com", name = "Erin" });
        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        var body = (await requested.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Null(body["inviteUrl"]);
        var proposalId = body["requestId"]!.GetValue<string>();
        Assert.Empty((await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings"))!);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while ((await admin.GetFromJsonAsync<JsonObject>($"/api/proposals/{proposalId}", cts.Token))!["status"]!.GetValue<string>() != "pending")
        {
            await Task.Delay(20, cts.Token);
        }

        var decided = await admin.PostAsJsonAsync($"/api/proposals/{proposalId}/decision", new { decision = "approve", revision = 1 }, cts.Token);
        Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        await hub.Client.WaitForInstanceCompletionAsync(proposalId, false, cts.Token);

        var onboardings = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings", cts.Token))!;
        var onboarding = Assert.Single(onboardings)!;
        Assert.Equal("erin@company.com", onboarding["email"]!.GetValue<string>());
        Assert.Equal("admin", onboarding["initiatedBy"]!.GetValue<string>());
    }
}

public sealed class MaintenanceTests
{
    [Fact]
    public async Task ExpiredOAuthAttempts_AreDeleted_RecentOnesKept()
    {
        await using var hub = await HubServer.StartAsync();
        var old = Entities.OAuthStateEntity.Id("old-attempt");
        var recent = Entities.OAuthStateEntity.Id("recent-attempt");
        await Orchestrations.EntityCalls.CallAsync(hub.Client, old, nameof(Entities.OAuthStateEntity.Create), new Entities.OAuthAttempt("hash", "sb1.x", DateTimeOffset.UtcNow.AddDays(-3), true), CancellationToken.None);
        await Orchestrations.EntityCalls.CallAsync(hub.Client, recent, nameof(Entities.OAuthStateEntity.Create), new Entities.OAuthAttempt("hash", "sb1.y", DateTimeOffset.UtcNow.AddMinutes(10), false), CancellationToken.None);

        var deleted = await Functions.MaintenanceFunctions.DeleteExpiredAttemptsAsync(hub.Client, DateTimeOffset.UtcNow - Functions.MaintenanceFunctions.AttemptRetention, CancellationToken.None);

        Assert.Equal(1, deleted);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await hub.Client.Entities.GetEntityAsync(old, cancellation: cts.Token) is not null)
        {
            await Task.Delay(20, cts.Token);
        }

        Assert.NotNull(await hub.Client.Entities.GetEntityAsync(recent));
    }
}

public sealed class ManagementAuditTests
{
    [Fact]
    public async Task ManagementApiChanges_AreAudited_ReadsAreNot()
    {
        await using var hub = await HubServer.StartAsync();
        using var admin = hub.Http(hub.AdminToken);
        var id = await hub.Client.ScheduleNewOrchestrationInstanceAsync(nameof(Orchestrations.Agents.AgentMailboxOrchestration), "nobody");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await hub.Client.WaitForInstanceStartAsync(id, false, cts.Token);

        Assert.Equal(HttpStatusCode.Accepted, (await admin.GetAsync($"/runtime/webhooks/durabletask/instances/{id}", cts.Token)).StatusCode); // running: 202, as in Durable Functions
        var terminated = await admin.PostAsync($"/runtime/webhooks/durabletask/instances/{id}/terminate?reason=cleanup", null, cts.Token);
        Assert.Equal(HttpStatusCode.Accepted, terminated.StatusCode);

        var audit = await hub.Services.GetRequiredService<Security.IAuditLog>().QueryAsync(new Security.AuditQuery(Action: "management."), cts.Token);
        var entry = Assert.Single(audit);
        Assert.Equal("admin", entry.Actor);
        Assert.Equal("management.post", entry.Action);
        Assert.Equal($"/instances/{id}/terminate", entry.Target);
        Assert.Equal("ok", entry.Outcome);
    }
}
