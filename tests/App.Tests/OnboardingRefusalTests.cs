using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Google;

namespace CompanyHub.Tests;

/// <summary>Onboarding over HTTP with <see cref="FakeGoogle"/>: what is refused, and that a refusal leaves the invite usable when it should.</summary>
public sealed class OnboardingRefusalTests
{
    private const string Alice = "alice@company.com";
    private const string Mallory = "mallory@company.com";

    [Fact]
    public async Task Onboarding_SignInWithAnotherOrUnverifiedAccount_IsRefused_InviteStaysUsable()
    {
        await using var g = await GoogleHub.StartAsync(people: [Alice, Mallory]);
        var code = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice);

        var (status, html) = await g.SignInAsync(code, account: Mallory);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Wrong Google account", html, StringComparison.Ordinal);
        Assert.Contains(Mallory, html, StringComparison.Ordinal);
        Assert.Contains(Alice, html, StringComparison.Ordinal);

        g.Google.Account(Alice).EmailVerified = false;
        (status, html) = await g.SignInAsync(code);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("not verified", html, StringComparison.Ordinal);
        g.Google.Account(Alice).EmailVerified = true;

        var id = (await OnlyOnboardingAsync(g.Hub))["onboardingId"]!.GetValue<string>();
        Assert.Equal("AwaitingOAuth", (await HubFlows.OnboardingAsync(g.Hub, id))!["step"]!.GetValue<string>());
        Assert.Equal(2, (await HubFlows.AuditAsync(g.Hub, "onboarding.sign-in-refused")).Count);
        using var admin = g.Hub.Http(g.Hub.AdminToken);
        Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/agents"))!);

        (status, html) = await g.SignInAsync(code);
        Assert.True(status == HttpStatusCode.OK, html);
        using var alice = g.Hub.Http(GoogleHub.TokenIn(html));
        Assert.Equal("alice-company-com", (await alice.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Onboarding_InviteExpires_OnTheDurableTimer_LinkAndPendingSignInAnswer410()
    {
        await using var g = await GoogleHub.StartAsync([new("Onboarding:InviteExpiryHours", "0.001")], Alice);
        var code = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice);
        var callback = await g.ConsentAsync(code);
        var id = (await OnlyOnboardingAsync(g.Hub))["onboardingId"]!.GetValue<string>();

        var expired = await HubFlows.WaitForStepAsync(g.Hub, id, "Expired");

        Assert.Equal("Expired", expired["step"]!.GetValue<string>());
        var (page, html) = await g.OpenAsync($"/invite/{code}");
        Assert.Equal(HttpStatusCode.Gone, page);
        Assert.Contains("expired", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, (await g.OpenAsync($"/oauth/google/start?invite={code}")).Status);
        var (late, lateHtml) = await g.OpenAsync(callback);
        Assert.Equal(HttpStatusCode.Gone, late);
        Assert.DoesNotContain("token=", lateHtml, StringComparison.Ordinal);
        using var admin = g.Hub.Http(g.Hub.AdminToken);
        Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/agents"))!);
        Assert.Single(await HubFlows.AuditAsync(g.Hub, "onboarding.expired"));
    }

    [Fact]
    public async Task Onboarding_ReplayedCallback_IsRefused()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var code = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice);
        var callback = await g.ConsentAsync(code);
        var (first, firstHtml) = await g.OpenAsync(callback);
        Assert.True(first == HttpStatusCode.OK, firstHtml);

        var (again, html) = await g.OpenAsync(callback);

        Assert.Equal(HttpStatusCode.BadRequest, again);
        Assert.Contains("already used", html, StringComparison.Ordinal);
        Assert.DoesNotContain("token=", html, StringComparison.Ordinal);
        Assert.Equal(1, g.Google.RequestsTo(GoogleEndpoints.Token).Count(r => r.Form()["grant_type"] == "authorization_code"));
    }

    [Fact]
    public async Task Onboarding_CallbackReplayedFromAnotherClient_IsRefused_NothingUsed_TheBrowserThatStartedCompletes()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var code = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice);
        var callback = await g.ConsentAsync(code);
        var stateId = System.Web.HttpUtility.ParseQueryString(callback.Query)["state"]!.Split('.')[0];

        // A client without cookies; one with a cookie of the attempt's name but its own value; one that started its own
        // sign-in for the same invite (its cookie belongs to its own attempt).
        var forged = new CookieContainer();
        forged.Add(new Uri(g.Hub.BaseUrl), new Cookie(Functions.OnboardingPages.NonceCookiePrefix + stateId, System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), "/oauth/google/callback"));
        var own = new CookieContainer();
        using (var starter = g.Hub.Http(cookies: own))
        {
            Assert.Equal(HttpStatusCode.Redirect, (await starter.GetAsync($"/oauth/google/start?invite={code}")).StatusCode);
        }

        Assert.Single(own.GetAllCookies());
        foreach (var cookies in new CookieContainer?[] { null, forged, own })
        {
            using var other = g.Hub.Http(cookies: cookies);
            using var replayed = await other.GetAsync(callback.PathAndQuery);
            var html = await replayed.Content.ReadAsStringAsync();
            Assert.True(replayed.StatusCode == HttpStatusCode.BadRequest, html);
            Assert.Contains("Sign-in not started in this browser", html, StringComparison.Ordinal);
            Assert.DoesNotContain("token=", html, StringComparison.Ordinal);
        }

        Assert.Empty(g.Google.RequestsTo(GoogleEndpoints.Token));
        var id = (await OnlyOnboardingAsync(g.Hub))["onboardingId"]!.GetValue<string>();
        Assert.Equal("AwaitingOAuth", (await HubFlows.OnboardingAsync(g.Hub, id))!["step"]!.GetValue<string>());

        var (status, page) = await g.OpenAsync(callback);
        Assert.True(status == HttpStatusCode.OK, page);
        using var alice = g.Hub.Http(GoogleHub.TokenIn(page));
        Assert.Equal("alice-company-com", (await alice.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>());
        await HubFlows.WaitForStepAsync(g.Hub, id, "Active");
    }

    [Fact]
    public async Task Onboarding_TamperedState_IsRefused_TheGenuineCallbackStillWorks()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var code = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice);
        var callback = await g.ConsentAsync(code);
        var state = System.Web.HttpUtility.ParseQueryString(callback.Query)["state"]!;
        var dot = state.IndexOf('.', StringComparison.Ordinal);
        var (stateId, signature) = (state[..dot], state[(dot + 1)..]);
        var otherId = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

        foreach (var forged in new string?[]
        {
            $"{stateId}.{Flip(signature)}",
            $"{Flip(stateId)}.{signature}",
            $"{otherId}.{signature}",
            stateId,
            $"{stateId}.",
            "",
            null,
        })
        {
            var (status, html) = await g.OpenAsync(OnboardingGoogleTests.WithQuery(callback, "state", forged));
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("Sign-in link not valid", html, StringComparison.Ordinal);
        }

        Assert.Empty(g.Google.RequestsTo(GoogleEndpoints.Token));
        var (genuine, genuineHtml) = await g.OpenAsync(callback);
        Assert.True(genuine == HttpStatusCode.OK, genuineHtml);
    }

    [Fact]
    public async Task Onboarding_ConsentDenied_IsShownPlainly_InviteStaysUsable_LaterSignInWorks()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var code = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice);
        g.Google.DenyConsent = true;

        var (status, html) = await g.SignInAsync(code);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("declined", html, StringComparison.Ordinal);
        Assert.Contains("invite still works", html, StringComparison.Ordinal);
        Assert.Empty(g.Google.RequestsTo(GoogleEndpoints.Token));
        var id = (await OnlyOnboardingAsync(g.Hub))["onboardingId"]!.GetValue<string>();
        Assert.Equal("AwaitingOAuth", (await HubFlows.OnboardingAsync(g.Hub, id))!["step"]!.GetValue<string>());

        g.Google.DenyConsent = false;
        (status, html) = await g.SignInAsync(code);
        Assert.True(status == HttpStatusCode.OK, html);
        await HubFlows.WaitForStepAsync(g.Hub, id, "Active");
    }

    [Fact]
    public async Task Onboarding_PersonWithAnActiveAgent_IsRefused_NoSecondAgent()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var (status, html) = await g.SignInAsync(await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice));
        Assert.True(status == HttpStatusCode.OK, html);
        var token = GoogleHub.TokenIn(html);
        using var admin = g.Hub.Http(g.Hub.AdminToken);

        using var byAdmin = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email = "ALICE@Company.com", name = "Alice again" });
        var detail = await HubFlows.AssertProblemAsync(byAdmin, HttpStatusCode.BadRequest);
        Assert.Contains("already has an active agent (alice-company-com)", detail, StringComparison.Ordinal);
        using var anonymous = g.Hub.Http();
        using var bySelf = await anonymous.PostAsJsonAsync("/api/onboarding/requests", new { email = Alice, name = "Alice" });
        Assert.Contains("already has an active agent", await HubFlows.AssertProblemAsync(bySelf, HttpStatusCode.BadRequest), StringComparison.Ordinal);

        Assert.Equal(2, (await admin.GetFromJsonAsync<JsonArray>("/api/agents"))!.Count);
        using var alice = g.Hub.Http(token);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/me")).StatusCode);
        Assert.Equal(2, (await HubFlows.AuditAsync(g.Hub, "onboarding.refused")).Count);
    }

    [Fact]
    public async Task Onboarding_TwoOpenInvitesForOnePerson_TheSecondSignInIsRefused_TheFirstAgentKeepsItsToken()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var firstCode = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice);
        var secondCode = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice);
        var (status, html) = await g.SignInAsync(firstCode);
        Assert.True(status == HttpStatusCode.OK, html);
        var token = GoogleHub.TokenIn(html);

        (status, html) = await g.SignInAsync(secondCode);

        Assert.NotEqual(HttpStatusCode.OK, status);
        Assert.DoesNotContain("token=", html, StringComparison.Ordinal);
        Assert.Contains("already has an active agent", html, StringComparison.Ordinal);
        using var alice = g.Hub.Http(token);
        Assert.Equal("alice-company-com", (await alice.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>());
        using var admin = g.Hub.Http(g.Hub.AdminToken);
        var agents = (await admin.GetFromJsonAsync<JsonArray>("/api/agents"))!;
        Assert.Equal(2, agents.Count);
        var onboardings = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings"))!.Select(o => o!["step"]!.GetValue<string>()).Order().ToArray();
        Assert.Equal("Active", onboardings[0]);
        Assert.StartsWith("Failed: ", onboardings[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Onboarding_Cancelled_InviteLinkAndPendingSignInAnswer410()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var id = await g.InviteAsync(Alice, "Alice");
        await HubFlows.WaitForStepAsync(g.Hub, id, "AwaitingOAuth");
        using var admin = g.Hub.Http(g.Hub.AdminToken);
        var code = GoogleHub.InviteCodeIn((await admin.GetFromJsonAsync<JsonObject>($"/api/admin/onboardings/{id}/invite"))!["inviteUrl"]!.GetValue<string>());
        var callback = await g.ConsentAsync(code);

        using var cancelled = await admin.PostAsync($"/api/admin/onboardings/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        await HubFlows.WaitForStepAsync(g.Hub, id, "Cancelled");
        var (page, html) = await g.OpenAsync($"/invite/{code}");
        Assert.Equal(HttpStatusCode.Gone, page);
        Assert.Contains("cancelled", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, (await g.OpenAsync(callback)).Status);
        await HubFlows.AssertProblemAsync(await admin.PostAsync($"/api/admin/onboardings/{id}/cancel", null), HttpStatusCode.Conflict);
        await HubFlows.AssertProblemAsync(await admin.PostAsync($"/api/admin/onboardings/{id}/resend", null), HttpStatusCode.Conflict);
        await HubFlows.AssertProblemAsync(await admin.GetAsync($"/api/admin/onboardings/{id}/invite"), HttpStatusCode.Conflict);
        await HubFlows.AssertProblemAsync(await admin.PostAsync("/api/admin/onboardings/onboarding-nope/cancel", null), HttpStatusCode.NotFound);
        Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/agents"))!);
        Assert.Single(await HubFlows.AuditAsync(g.Hub, "onboarding.cancelled"));
    }

    [Fact]
    public async Task Onboarding_SelfServiceRequests_AreRateLimitedPerAddress()
    {
        await using var hub = await HubServer.StartAsync();
        using var anonymous = hub.Http();
        for (var i = 0; i < 10; i++)
        {
            using var refused = await anonymous.PostAsJsonAsync("/api/onboarding/requests", new { email = $"not-an-email-{i}", name = "Probe" });
            await HubFlows.AssertProblemAsync(refused, HttpStatusCode.BadRequest);
        }

        using var limited = await anonymous.PostAsJsonAsync("/api/onboarding/requests", new { email = Alice, name = "Alice" });

        Assert.Contains("Too many onboarding requests", await HubFlows.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromHours(1), limited.Headers.RetryAfter?.Delta);
        using var admin = hub.Http(hub.AdminToken);
        Assert.Empty((await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings"))!);
    }

    [Fact]
    public async Task Onboarding_GmailFailsToSend_InviteAndReadyEmails_TheOnboardingGoesOnAndSaysSo()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        await g.ConnectSenderAsync();
        g.Google.FailAlways(500, "Backend Error", GoogleEndpoints.GmailSend);

        var id = await g.InviteAsync(Alice, "Alice");

        var waiting = await HubFlows.WaitForStepAsync(g.Hub, id, "AwaitingOAuth");
        Assert.Contains("not sent", waiting["message"]!.GetValue<string>(), StringComparison.Ordinal);
        using var admin = g.Hub.Http(g.Hub.AdminToken);
        var code = GoogleHub.InviteCodeIn((await admin.GetFromJsonAsync<JsonObject>($"/api/admin/onboardings/{id}/invite"))!["inviteUrl"]!.GetValue<string>());
        var (status, html) = await g.SignInAsync(code);
        Assert.True(status == HttpStatusCode.OK, html);
        using var alice = g.Hub.Http(GoogleHub.TokenIn(html));
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/me")).StatusCode);
        var active = await HubFlows.WaitForStepAsync(g.Hub, id, "Active");
        Assert.Contains("not emailed", active["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static async Task<JsonObject> OnlyOnboardingAsync(HubServer hub)
    {
        using var admin = hub.Http(hub.AdminToken);
        return Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings"))!)!.AsObject();
    }

    private static string Flip(string text) => (text[0] == 'A' ? 'B' : 'A') + text[1..];
}
