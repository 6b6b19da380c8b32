using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Google;

namespace CompanyHub.Tests;

/// <summary>
/// Reconnecting Google for an existing agent (the same PKCE sign-in, bound to the person and their Google account), the
/// "Google access lost" flag, and the Drive/Docs tools whose scope is asked only once the admin turns them on.
/// </summary>
public sealed class GoogleReconnectTests
{
    private const string Alice = "alice@company.com";
    private const string Bob = "bob@company.com";
    private const string AliceId = "alice-company-com";

    [Fact]
    public async Task GoogleRevokedTheToken_TheToolSaysAccessLost_TheDashboardShowsIt_ReconnectReplacesTheTokenAndClearsIt()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var g = await StartAsync(llm);
        var token = await SignInAsync(g);
        g.Google.Account(Alice).AddMessage(new FakeGmailMessage { From = "sarah@acme.com", To = Alice, Subject = "Quarterly numbers", Body = "Attached." });
        g.Google.RevokeAccount(Alice);
        using var alice = g.Hub.Http(token);

        var lost = await ToolResultAsync(llm, alice, "gmail_search", new JsonObject { ["query"] = "from:sarah@acme.com" });

        Assert.StartsWith("Error from gmail_search: Google access lost — reconnect", lost, StringComparison.Ordinal);
        var google = await GoogleViewAsync(alice);
        await HubFlows.WaitUntilAsync(async () => (google = await GoogleViewAsync(alice))["accessLost"]!.GetValue<bool>(), () => $"the agent marked as having lost Google access: {google}");
        Assert.True(google["reconnectNeeded"]!.GetValue<bool>());
        var lostAudit = Assert.Single(await HubFlows.AuditAsync(g.Hub, "google.access-lost", AliceId));
        Assert.Contains("refused the stored refresh token (invalid_grant)", lostAudit["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var (status, html) = await g.ReconnectAsync(token, AliceId);

        Assert.True(status == HttpStatusCode.OK, html);
        Assert.Contains("Google reconnected", html, StringComparison.Ordinal);
        google = await GoogleViewAsync(alice);
        Assert.False(google["accessLost"]!.GetValue<bool>());
        Assert.False(google["reconnectNeeded"]!.GetValue<bool>());
        // The reconnect was the same PKCE consent as a sign-in, for the agent's own account.
        var consent = g.Google.Authorizations.Last().Parameters;
        Assert.Equal(("S256", "offline", "consent", Alice), (consent["code_challenge_method"], consent["access_type"], consent["prompt"], consent["login_hint"]));
        var audit = Assert.Single(await HubFlows.AuditAsync(g.Hub, "google.reconnected", AliceId));
        Assert.Equal($"user:{AliceId}", audit["actor"]!.GetValue<string>());
        Assert.Contains("refresh token was replaced", audit["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // The new token is the one in use: the same read now answers from Alice's mailbox.
        var found = await ToolResultAsync(llm, alice, "gmail_search", new JsonObject { ["query"] = "from:sarah@acme.com" });
        Assert.Contains("Quarterly numbers", found, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconnect_WithAnotherGoogleAccount_OrTheSameEmailUnderAnotherAccountId_IsRefused_AndNothingChanges()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var g = await StartAsync(llm);
        var token = await SignInAsync(g);
        g.Google.Account(Alice).AddMessage(new FakeGmailMessage { From = "sarah@acme.com", To = Alice, Subject = "Still for Alice", Body = "Hi." });
        using var alice = g.Hub.Http(token);
        var before = await GoogleViewAsync(alice);

        var (status, html) = await g.ReconnectAsync(token, AliceId, account: Bob);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Wrong Google account", html, StringComparison.Ordinal);
        Assert.Contains($"but this agent belongs to {Alice}", html, StringComparison.Ordinal);

        // Same email, but Google says it is another account (the address was deleted and created again).
        var subject = g.Google.Account(Alice).Subject;
        g.Google.Account(Alice).Subject = "999" + subject[3..];
        (status, html) = await g.ReconnectAsync(token, AliceId);
        g.Google.Account(Alice).Subject = subject;

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("Wrong Google account", html, StringComparison.Ordinal);
        Assert.Equal(2, (await HubFlows.AuditAsync(g.Hub, "google.reconnect-refused", AliceId)).Count);
        Assert.Empty(await HubFlows.AuditAsync(g.Hub, "google.reconnected", AliceId));
        Assert.Equal(before.ToJsonString(), (await GoogleViewAsync(alice)).ToJsonString());
        Assert.Contains("Still for Alice", await ToolResultAsync(llm, alice, "gmail_search", new JsonObject { ["query"] = "from:sarah@acme.com" }), StringComparison.Ordinal);

        // Only the person starts a reconnect: the admin cannot sign in at Google as them.
        using var admin = g.Hub.Http(g.Hub.AdminToken);
        var detail = await HubFlows.AssertProblemAsync(await admin.PostAsync($"/api/agents/{AliceId}/google/reconnect", null), HttpStatusCode.Forbidden);
        Assert.Contains("can reconnect their Google account", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DriveTurnedOnAfterSignIn_ThePersonIsAskedToReconnect_ThenTheDocIsRead()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var g = await StartAsync(llm);
        var token = await SignInAsync(g);
        var doc = g.Google.AddDocument(Alice, "Q3 plan", "Hire two engineers.", "Ship the mobile app.");
        using (var alice = g.Hub.Http(token))
        {
            Assert.Empty((await GoogleViewAsync(alice))["missingScopes"]!.AsArray());
        }

        await g.RestartAsync(settings: [new("GOOGLE_DRIVE", "true")]);
        using var person = g.Hub.Http(token);

        var google = await GoogleViewAsync(person);
        Assert.True(google["reconnectNeeded"]!.GetValue<bool>());
        Assert.False(google["accessLost"]!.GetValue<bool>());
        Assert.Contains("https://www.googleapis.com/auth/documents.readonly", google["missingScopes"]!.AsArray().Select(s => s!.GetValue<string>()));
        var asked = await ToolResultAsync(llm, person, "docs_read", new JsonObject { ["documentId"] = doc });
        Assert.StartsWith("Error from docs_read: Google access to reconnect", asked, StringComparison.Ordinal);
        Assert.Contains("Reconnect Google", asked, StringComparison.Ordinal);
        Assert.Empty(g.Google.RequestsTo(GoogleEndpoints.DocsGet));

        var (status, html) = await g.ReconnectAsync(token, AliceId);

        Assert.True(status == HttpStatusCode.OK, html);
        var scopes = g.Google.Authorizations.Last().Parameters["scope"].Split(' ');
        Assert.Contains("https://www.googleapis.com/auth/drive.readonly", scopes);
        Assert.Contains("https://www.googleapis.com/auth/documents.readonly", scopes);
        Assert.Empty((await GoogleViewAsync(person))["missingScopes"]!.AsArray());
        var text = await ToolResultAsync(llm, person, "docs_read", new JsonObject { ["documentId"] = doc });
        Assert.Contains("Hire two engineers.\\nShip the mobile app.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GmailRefusesAFreshAccessToken_TheAgentSaysReconnect_TheFlagIsSetAndAuditedOnce_WithoutRetries()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var g = await StartAsync(llm);
        var token = await SignInAsync(g);
        g.Google.Account(Alice).AddMessage(new FakeGmailMessage { From = "sarah@acme.com", To = Alice, Subject = "Quarterly numbers", Body = "Attached." });
        using var alice = g.Hub.Http(token);
        var refreshesBefore = g.Google.RequestsTo(GoogleEndpoints.Token).Count;
        // The refresh succeeds; Gmail refuses the fresh access token (the grant was withdrawn at Google meanwhile).
        g.Google.FailAlways(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.", GoogleEndpoints.GmailList);

        var lost = await ToolResultAsync(llm, alice, "gmail_search", new JsonObject { ["query"] = "from:sarah@acme.com" });

        Assert.StartsWith("Error from gmail_search: Google access lost — reconnect: Gmail refused a freshly refreshed access token (401)", lost, StringComparison.Ordinal);
        Assert.Contains("Reconnect Google", lost, StringComparison.Ordinal);
        Assert.Equal(refreshesBefore + 1, g.Google.RequestsTo(GoogleEndpoints.Token).Count);
        Assert.Single(g.Google.RequestsTo(GoogleEndpoints.GmailList));
        var google = await GoogleViewAsync(alice);
        await HubFlows.WaitUntilAsync(async () => (google = await GoogleViewAsync(alice))["accessLost"]!.GetValue<bool>(), () => $"the agent marked as having lost Google access: {google}");
        Assert.True(google["reconnectNeeded"]!.GetValue<bool>());
        var audit = Assert.Single(await HubFlows.AuditAsync(g.Hub, "google.access-lost", AliceId));
        Assert.Equal($"agent:{AliceId}", audit["actor"]!.GetValue<string>());
        Assert.Contains("Gmail refused a freshly refreshed access token (401)", audit["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        // Asked again, the agent tries once more (one call, no loop) and says the same; the loss is not recorded twice.
        var again = await ToolResultAsync(llm, alice, "gmail_search", new JsonObject { ["query"] = "from:sarah@acme.com" });
        Assert.StartsWith("Error from gmail_search: Google access lost — reconnect", again, StringComparison.Ordinal);
        Assert.Equal(2, g.Google.RequestsTo(GoogleEndpoints.GmailList).Count);
        Assert.Single(await HubFlows.AuditAsync(g.Hub, "google.access-lost", AliceId));

        g.Google.ClearFailures();
        var (status, html) = await g.ReconnectAsync(token, AliceId);
        Assert.True(status == HttpStatusCode.OK, html);
        Assert.False((await GoogleViewAsync(alice))["accessLost"]!.GetValue<bool>());
        Assert.Contains("Quarterly numbers", await ToolResultAsync(llm, alice, "gmail_search", new JsonObject { ["query"] = "from:sarah@acme.com" }), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CalendarAnswers403InsufficientScopes_TheApprovedProposalFailsAtOnce_SayingReconnect_AndTheFlagIsSet()
    {
        await using var llm = await FakeOpenAi.StartAsync();
        await using var g = await StartAsync(llm, new KeyValuePair<string, string?>("GOOGLE_CALENDAR", "true"));
        var token = await SignInAsync(g);
        using var alice = g.Hub.Http(token);
        var payload = new JsonObject { ["summary"] = "Sync", ["start"] = "2030-11-25T09:00:00Z", ["end"] = "2030-11-25T10:00:00Z" };

        // A 403 that is about the calendar, not the token, is an ordinary failure: Google access is not marked lost.
        var forbidden = await ToolHub.ProposeAsync(alice, AliceId, "create_calendar_event", payload);
        g.Google.FailNext(1, 403, "You need to have writer access to this calendar.", GoogleEndpoints.CalendarInsert);
        await ToolHub.DecideOkAsync(alice, forbidden, "approve");
        var refused = await ToolHub.WaitForFinalAsync(alice, forbidden);
        Assert.Equal("failed", refused["status"]!.GetValue<string>());
        Assert.Contains("writer access", refused["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False((await GoogleViewAsync(alice))["accessLost"]!.GetValue<bool>());
        Assert.Empty(await HubFlows.AuditAsync(g.Hub, "google.access-lost", AliceId));

        var id = await ToolHub.ProposeAsync(alice, AliceId, "create_calendar_event", payload);
        var insertsBefore = g.Google.RequestsTo(GoogleEndpoints.CalendarInsert).Count;
        g.Google.Inject(new CompanyHub.Fakes.FakeFailure(int.MaxValue, 403, "Request had insufficient authentication scopes.", Endpoint: GoogleEndpoints.CalendarInsert, Code: "insufficientPermissions"));
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.Equal("failed", done["status"]!.GetValue<string>());
        Assert.Equal(1, done["attempts"]!.GetValue<int>());
        var error = done["error"]!.GetValue<string>();
        Assert.StartsWith("Google access lost — reconnect: Google Calendar answered that the sign-in lacks the access it needs (403 insufficient scopes)", error, StringComparison.Ordinal);
        Assert.DoesNotContain("ya29", error, StringComparison.Ordinal);
        Assert.Equal(insertsBefore + 1, g.Google.RequestsTo(GoogleEndpoints.CalendarInsert).Count);
        var google = await GoogleViewAsync(alice);
        await HubFlows.WaitUntilAsync(async () => (google = await GoogleViewAsync(alice))["accessLost"]!.GetValue<bool>(), () => $"the agent marked as having lost Google access: {google}");
        Assert.Contains("403 insufficient scopes", Assert.Single(await HubFlows.AuditAsync(g.Hub, "google.access-lost", AliceId))["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        g.Google.ClearFailures();
    }

    private static Task<GoogleHub> StartAsync(FakeOpenAi llm, params KeyValuePair<string, string?>[] settings) =>
        GoogleHub.StartAsync([new("REDPILL_API_KEY", "test-llm-key"), new("LLM_BASE_URL", llm.BaseUrl), new("LLM_MODEL", "test-model"), .. ToolHub.PersonLimitsLifted, .. settings], Alice, Bob);

    private static async Task<string> SignInAsync(GoogleHub g)
    {
        var (status, html) = await g.SignInAsync(await OnboardingGoogleTests.RequestInviteCodeAsync(g.Hub, Alice));
        Assert.True(status == HttpStatusCode.OK, html);
        return GoogleHub.TokenIn(html);
    }

    private static async Task<JsonObject> GoogleViewAsync(HttpClient person) =>
        (await person.GetFromJsonAsync<JsonObject>($"/api/agents/{AliceId}"))!["google"]!.AsObject();

    /// <summary>One chat turn in which the model calls <paramref name="tool"/>; returns what the tool answered the model.</summary>
    private static async Task<string> ToolResultAsync(FakeOpenAi llm, HttpClient person, string tool, JsonObject arguments)
    {
        var before = llm.Requests.Count;
        llm.Then(FakeOpenAi.Reply.Call(tool, arguments)).Then(FakeOpenAi.Reply.Text("Done."));
        using var sent = await person.PostAsJsonAsync($"/api/agents/{AliceId}/messages", new { text = $"Use {tool}." });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        await ToolHub.WaitUntilAsync(() => llm.Requests.Count >= before + 2, "the model's second call, with the tool's answer");
        return llm.Requests.ToArray()[before + 1]["messages"]!.AsArray().Last(m => m!["role"]!.GetValue<string>() == "tool")!["content"]!.ToString();
    }
}
