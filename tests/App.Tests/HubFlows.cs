using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CompanyHub.Tests;

/// <summary>Steps the security and onboarding tests take against a running hub, each with a timeout.</summary>
public static class HubFlows
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>Admin invite, then the development sign-in (hub without Google); returns the agent id and the user token from the result page.</summary>
    public static async Task<(string AgentId, string Token)> OnboardWithDevSignInAsync(HubServer hub, string email, string name)
    {
        using var admin = hub.Http(hub.AdminToken);
        using var invited = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email, name });
        Assert.Equal(HttpStatusCode.Accepted, invited.StatusCode);
        var id = (await invited.Content.ReadFromJsonAsync<JsonObject>())!["onboardingId"]!.GetValue<string>();
        var invite = (await admin.GetFromJsonAsync<JsonObject>($"/api/admin/onboardings/{id}/invite"))!["inviteUrl"]!.GetValue<string>();
        var code = GoogleHub.InviteCodeIn(invite);

        using var anonymous = hub.Http();
        using var page = await anonymous.PostAsync($"/invite/{code}/dev-sign-in", new FormUrlEncodedContent([new("email", email)]));
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        var token = GoogleHub.TokenIn(html);
        using var user = hub.Http(token);
        var me = await user.GetFromJsonAsync<JsonObject>("/api/me");
        return (me!["agentId"]!.GetValue<string>(), token);
    }

    /// <summary>The admin's view of one onboarding (GET /api/admin/onboardings).</summary>
    /// <summary>
    /// Onboards a person without any sign-in page (for hubs where Google is configured, so the development sign-in is off):
    /// the admin's onboarding, the same OAuthCompleted event a sign-in raises, then a token from an admin rotation.
    /// </summary>
    public static async Task<(string AgentId, string Token)> OnboardByEventAsync(HubServer hub, string email, string name)
    {
        using var admin = hub.Http(hub.AdminToken);
        using var invited = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email, name });
        var id = (await invited.Content.ReadFromJsonAsync<JsonObject>())!["onboardingId"]!.GetValue<string>();
        await hub.Client.RaiseEventAsync(id, Orchestrations.Onboarding.OAuthCompleted.EventName, new Orchestrations.Onboarding.OAuthCompleted(email, true, null, name));
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var done = await hub.Client.WaitForInstanceCompletionAsync(id, true, wait.Token);
        var agentId = done.ReadOutputAs<Orchestrations.Onboarding.OnboardingStatus>()!.AgentId!;
        using var rotated = await admin.PostAsync($"/api/agents/{agentId}/token/rotate", null);
        return (agentId, (await rotated.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>());
    }

    public static async Task<JsonObject?> OnboardingAsync(HubServer hub, string onboardingId)
    {
        using var admin = hub.Http(hub.AdminToken);
        var list = await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings");
        return list!.OfType<JsonObject>().FirstOrDefault(o => o["onboardingId"]!.GetValue<string>() == onboardingId);
    }

    /// <summary>Waits until the onboarding shows <paramref name="step"/>; returns its view.</summary>
    public static async Task<JsonObject> WaitForStepAsync(HubServer hub, string onboardingId, string step)
    {
        JsonObject? view = null;
        await WaitUntilAsync(async () => (view = await OnboardingAsync(hub, onboardingId))?["step"]?.GetValue<string>() == step,
            () => $"onboarding {onboardingId} to reach {step}; it is at {view?.ToJsonString() ?? "(not listed)"}");
        return view!;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <see cref="Timeout"/>.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, Func<string> what)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (!await condition())
        {
            if (timeout.IsCancellationRequested)
            {
                Assert.Fail($"Timed out waiting for {what()}.");
            }

            await Task.Delay(25, CancellationToken.None);
        }
    }

    /// <summary>Asserts an RFC 9457 answer with the status; returns its detail.</summary>
    public static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!.AsObject();
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        return problem["detail"]?.GetValue<string>() ?? "";
    }

    /// <summary>The audit entries the admin sees for an action prefix.</summary>
    public static async Task<IReadOnlyList<JsonObject>> AuditAsync(HubServer hub, string action, string? agentId = null)
    {
        using var admin = hub.Http(hub.AdminToken);
        var query = $"/api/admin/audit?action={Uri.EscapeDataString(action)}&top=500" + (agentId is null ? "" : $"&agentId={Uri.EscapeDataString(agentId)}");
        return (await admin.GetFromJsonAsync<JsonArray>(query))!.OfType<JsonObject>().ToArray();
    }
}
