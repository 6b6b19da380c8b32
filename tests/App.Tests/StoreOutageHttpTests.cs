using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Google;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// The store refusing writes (<see cref="StoreOutage"/>) while people act: a decision, an offboarding, a Google sign-in.
/// Each answers 503 with <c>Retry-After</c> — never "finished", "gone" or a success — and loses nothing: once the store
/// takes writes again, the same action succeeds.
/// </summary>
public sealed class StoreOutageHttpTests(ToolHubFixture fixture) : IClassFixture<ToolHubFixture>
{
    private const string Alice = "alice@company.com";

    [Fact]
    public async Task Decision_StoreDown_Answers503WithRetryAfter_TheProposalStaysPendingAndDecidable()
    {
        var tools = fixture.Tools;
        using var alice = tools.User(fixture.Alice);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateAttioTask, ProposalCases.Payload(fixture, ProposalTypes.CreateAttioTask));
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        var writes = await fixture.WritesAsync();

        await StoreOutage.BeginAsync(tools.Hub);
        try
        {
            using var refused = await ToolHub.DecideAsync(alice, id, "approve", revision: 1);

            Assert.Contains("cannot save", await HubFlows.AssertProblemAsync(refused, HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        }
        finally
        {
            await StoreOutage.EndAsync(tools.Hub);
        }

        var view = await ToolHub.GetProposalAsync(alice, id);
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(view));
        Assert.Equal(1, view["revision"]!.GetValue<int>());
        Assert.Equal(writes, await fixture.WritesAsync());

        // The refused decision was not saved: this one is the first on revision 1 (else it would be 409), and it runs.
        await ToolHub.DecideOkAsync(alice, id, "approve", revision: 1);
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Succeeded);
    }

    [Fact]
    public async Task Offboarding_StoreDown_Answers503WithRetryAfter_NothingChanged_TheRetryOffboardsAndCancels()
    {
        var tools = fixture.Tools;
        var agentId = await tools.OnboardWithGoogleAsync("olive@company.com", "Olive");
        using var olive = tools.User(agentId);
        using var admin = tools.Admin();
        var pending = await fixture.ProposePendingAsync(olive, agentId, ProposalTypes.CreateAttioTask, ProposalTypes.CreateNotionPage);

        await StoreOutage.BeginAsync(tools.Hub);
        try
        {
            using var refused = await admin.DeleteAsync($"/api/agents/{agentId}");

            Assert.Contains("cannot save", await HubFlows.AssertProblemAsync(refused, HttpStatusCode.ServiceUnavailable), StringComparison.Ordinal);
            Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
        }
        finally
        {
            await StoreOutage.EndAsync(tools.Hub);
        }

        // No success was reported and none happened: the agent is active, its token works, its proposals wait.
        Assert.Equal("active", (await admin.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}"))!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await olive.GetAsync("/api/me")).StatusCode);
        foreach (var id in pending)
        {
            Assert.Equal(ProposalStatus.Pending, ToolHub.Status(await ToolHub.GetProposalAsync(admin, id)));
        }

        Assert.Empty(await HubFlows.AuditAsync(tools.Hub, "agent.offboarded", agentId));

        using var offboarded = await admin.DeleteAsync($"/api/agents/{agentId}");
        var body = await offboarded.Content.ReadAsStringAsync();
        Assert.True(offboarded.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal(pending.Count, JsonNode.Parse(body)!["cancelledProposals"]!.GetValue<int>());
        foreach (var id in pending)
        {
            Assert.Equal(ProposalStatus.Cancelled, ToolHub.Status(await ToolHub.WaitForFinalAsync(admin, id)));
        }
    }

    [Fact]
    public async Task GoogleCallback_StoreDown_IsATryAgainPage_NothingUsed_TheSameCallbackCompletesLater()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var code = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice);
        var callback = await g.ConsentAsync(code);

        await StoreOutage.BeginAsync(g.Hub);
        try
        {
            await AssertTryAgainPageAsync(g, callback);
        }
        finally
        {
            await StoreOutage.EndAsync(g.Hub);
        }

        // The attempt was not used and the code not spent: the browser's reload finishes the sign-in.
        Assert.Empty(g.Google.RequestsTo(GoogleEndpoints.Token));
        await AssertSignedInAsync(g, callback);
    }

    [Fact]
    public async Task GoogleCallback_StoreFailsAfterGoogleAnswered_IsATryAgainPage_TheRetryCompletesWithoutGoogle_TheRefreshTokenKept()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var code = await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice);
        var callback = await g.ConsentAsync(code);

        // The store stops taking writes while Google answers the hub: the attempt is used, the code spent.
        g.Google.BeforeAnswer = async request =>
        {
            if (request.Endpoint == GoogleEndpoints.UserInfo)
            {
                await StoreOutage.BeginAsync(g.Hub);
            }
        };
        try
        {
            await AssertTryAgainPageAsync(g, callback);

            // What Google answered is kept for this browser only.
            using var stranger = g.Hub.Http();
            using var elsewhere = await stranger.GetAsync(callback.PathAndQuery);
            Assert.Equal(HttpStatusCode.BadRequest, elsewhere.StatusCode);
            Assert.Contains("Sign-in not started in this browser", await elsewhere.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            g.Google.BeforeAnswer = null;
            await StoreOutage.EndAsync(g.Hub);
        }

        await AssertSignedInAsync(g, callback);
    }

    private static async Task AssertTryAgainPageAsync(GoogleHub g, Uri callback)
    {
        using var page = await g.GetAsync(callback.PathAndQuery);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)page.StatusCode}: {html}");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), page.Headers.RetryAfter?.Delta);
        Assert.Contains("Try again in a moment", html, StringComparison.Ordinal);
        Assert.DoesNotContain("token=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("no longer valid", html, StringComparison.Ordinal);
    }

    /// <summary>The same callback URL, from the same browser, now finishes: one code exchange at Google in all, the agent active with Google connected.</summary>
    private static async Task AssertSignedInAsync(GoogleHub g, Uri callback)
    {
        var (status, html) = await g.OpenAsync(callback);
        Assert.True(status == HttpStatusCode.OK, html);
        using var alice = g.Hub.Http(GoogleHub.TokenIn(html));
        var agent = (await alice.GetFromJsonAsync<JsonObject>("/api/agents/alice-company-com"))!;
        Assert.Equal("active", agent["status"]!.GetValue<string>());
        Assert.True(agent["googleConnected"]!.GetValue<bool>());
        Assert.Equal(1, g.Google.RequestsTo(GoogleEndpoints.Token).Count(r => r.Form()["grant_type"] == "authorization_code"));
    }
}
