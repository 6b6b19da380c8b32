using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Web;
using CompanyHub.Fakes.Google;

namespace CompanyHub.Tests;

/// <summary>Onboarding end to end over HTTP, with Google played by <see cref="FakeGoogle"/>: the paths that succeed.</summary>
public sealed class OnboardingGoogleTests
{
    private const string Alice = "alice@company.com";

    [Fact]
    public async Task Onboarding_AdminInvite_UserCompletesGoogleSignIn_AgentBecomesActive()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        await g.ConnectSenderAsync();
        using var admin = g.Hub.Http(g.Hub.AdminToken);
        Assert.Equal(GoogleHub.AdminEmail, (await admin.GetFromJsonAsync<JsonObject>("/api/admin/health"))!["credentials"]!["senderAccount"]!.GetValue<string>());

        var id = await g.InviteAsync(Alice, "Alice");

        var invited = await HubFlows.WaitForStepAsync(g.Hub, id, "InviteSent");
        Assert.Equal("admin", invited["initiatedBy"]!.GetValue<string>());
        var inviteMail = Assert.Single(g.Google.SentEmails);
        Assert.Equal(GoogleHub.AdminEmail, inviteMail.Account);
        Assert.Equal(new[] { Alice }, inviteMail.To);
        var code = GoogleHub.InviteCodeIn(inviteMail.Body);
        Assert.Contains($"{g.Hub.BaseUrl}/invite/{code}", inviteMail.Body, StringComparison.Ordinal);

        var (invitePageStatus, invitePage) = await g.OpenAsync($"/invite/{code}");
        Assert.Equal(HttpStatusCode.OK, invitePageStatus);
        Assert.Contains(Alice, invitePage, StringComparison.Ordinal);
        Assert.Contains("Sign in with Google", invitePage, StringComparison.Ordinal);
        Assert.DoesNotContain("Development sign-in", invitePage, StringComparison.Ordinal);

        var (status, html) = await g.SignInAsync(code);

        Assert.True(status == HttpStatusCode.OK, html);
        Assert.Contains("You&#39;re all set", html, StringComparison.Ordinal);
        var token = GoogleHub.TokenIn(html);
        using var alice = g.Hub.Http(token);
        var me = await alice.GetFromJsonAsync<JsonObject>("/api/me");
        Assert.Equal("user", me!["role"]!.GetValue<string>());
        Assert.Equal("alice-company-com", me["agentId"]!.GetValue<string>());
        var agent = (await alice.GetFromJsonAsync<JsonObject>("/api/agents/alice-company-com"))!;
        Assert.Equal("active", agent["status"]!.GetValue<string>());
        Assert.Equal(Alice, agent["email"]!.GetValue<string>());
        Assert.Equal("Alice's Assistant", agent["identity"]!["name"]!.GetValue<string>());
        Assert.Equal(new[] { "orchestrator", "*" }, agent["allowAgents"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(1, agent["autonomy"]!["level"]!.GetValue<int>());
        Assert.Equal("/data/workspaces/alice-company-com", agent["workspace"]!.GetValue<string>());
        Assert.True(agent["googleConnected"]!.GetValue<bool>());

        var ready = g.Google.SentEmails.Last();
        Assert.Equal(GoogleHub.AdminEmail, ready.Account);
        Assert.Equal(new[] { Alice }, ready.To);
        Assert.Contains($"{g.Hub.BaseUrl}/?token={token}", ready.Body, StringComparison.Ordinal);
        var active = await HubFlows.WaitForStepAsync(g.Hub, id, "Active");
        Assert.Equal("Alice is now active.", active["message"]!.GetValue<string>());

        // What Google was asked: PKCE S256, offline access with consent, the hub's scopes, the invited account as hint.
        var consent = g.Google.Authorizations.Last().Parameters;
        Assert.Equal("S256", consent["code_challenge_method"]);
        Assert.Equal("offline", consent["access_type"]);
        Assert.Equal("consent", consent["prompt"]);
        Assert.Equal(Alice, consent["login_hint"]);
        Assert.Equal(g.CallbackUri, consent["redirect_uri"]);
        Assert.Equal(
            new[] { "openid", "https://www.googleapis.com/auth/userinfo.email", "https://www.googleapis.com/auth/gmail.readonly", "https://www.googleapis.com/auth/gmail.send", "https://www.googleapis.com/auth/gmail.compose" },
            consent["scope"].Split(' '));
        var exchange = g.Google.RequestsTo(GoogleEndpoints.Token).Select(r => r.Form()).Last(f => f["grant_type"] == "authorization_code");
        Assert.InRange(exchange["code_verifier"].Length, 43, 128);

        // The invite is spent; the steps are in the audit log.
        Assert.Equal(HttpStatusCode.Gone, (await g.OpenAsync($"/invite/{code}")).Status);
        var audit = await HubFlows.AuditAsync(g.Hub, "onboarding.");
        foreach (var action in new[] { "onboarding.requested", "onboarding.invited", "onboarding.active" })
        {
            Assert.Contains(audit, e => e["action"]!.GetValue<string>() == action && (e["target"]?.GetValue<string>() == id));
        }

        Assert.Single(await HubFlows.AuditAsync(g.Hub, "sender.connected"));
    }

    [Fact]
    public async Task Onboarding_SelfServiceRequest_ReturnsTheInviteLink_SignInCompletes()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        using var anonymous = g.Hub.Http();

        using var requested = await anonymous.PostAsJsonAsync("/api/onboarding/requests", new { email = Alice, name = "Alice" });

        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        var answer = (await requested.Content.ReadFromJsonAsync<JsonObject>())!;
        var inviteUrl = answer["inviteUrl"]!.GetValue<string>();
        Assert.StartsWith($"{g.Hub.BaseUrl}/invite/", inviteUrl, StringComparison.Ordinal);
        Assert.True(answer["expiresAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddDays(6));
        Assert.Empty(g.Google.SentEmails);
        var id = answer["onboardingId"]!.GetValue<string>();
        Assert.Equal("user", (await HubFlows.WaitForStepAsync(g.Hub, id, "AwaitingOAuth"))["initiatedBy"]!.GetValue<string>());

        var (status, html) = await g.SignInAsync(GoogleHub.InviteCodeIn(inviteUrl));

        Assert.True(status == HttpStatusCode.OK, html);
        using var alice = g.Hub.Http(GoogleHub.TokenIn(html));
        Assert.Equal("alice-company-com", (await alice.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>());
        var active = await HubFlows.WaitForStepAsync(g.Hub, id, "Active");
        Assert.Contains("not emailed", active["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Onboarding_Resend_ExtendsTheExpiry_AndEmailsTheSameLinkAgain()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        await g.ConnectSenderAsync();
        var id = await g.InviteAsync(Alice, "Alice");
        var first = (await HubFlows.WaitForStepAsync(g.Hub, id, "InviteSent"))["expiresAt"]!.GetValue<DateTimeOffset>();
        var code = g.InviteCodeFromEmail(Alice);

        using var admin = g.Hub.Http(g.Hub.AdminToken);
        using var resent = await admin.PostAsync($"/api/admin/onboardings/{id}/resend", null);

        Assert.Equal(HttpStatusCode.Accepted, resent.StatusCode);
        var extended = (await resent.Content.ReadFromJsonAsync<JsonObject>())!["expiresAt"]!.GetValue<DateTimeOffset>();
        Assert.True(extended > first);
        await HubFlows.WaitUntilAsync(() => Task.FromResult(g.Google.SentEmails.Count == 2), () => "the second invite email");
        Assert.Equal(code, g.InviteCodeFromEmail(Alice));
        JsonObject? view = null;
        await HubFlows.WaitUntilAsync(async () => (view = await HubFlows.OnboardingAsync(g.Hub, id))!["expiresAt"]!.GetValue<DateTimeOffset>() > first, () => $"the extended expiry: {view}");
        Assert.Equal("InviteSent", view!["step"]!.GetValue<string>());
        Assert.Single((await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings"))!);
        // The audit entry is written by the step after the one that shows the new expiry.
        await HubFlows.WaitUntilAsync(async () => (await HubFlows.AuditAsync(g.Hub, "onboarding.resent")).Count > 0, () => "the resend's audit entry");
        Assert.Single(await HubFlows.AuditAsync(g.Hub, "onboarding.resent"));

        var (status, html) = await g.SignInAsync(code);
        Assert.True(status == HttpStatusCode.OK, html);
    }

    [Fact]
    public async Task Onboarding_HostRestartBetweenInviteAndCallback_ResumesAndCompletes()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        await g.ConnectSenderAsync();
        var id = await g.InviteAsync(Alice, "Alice");
        await HubFlows.WaitForStepAsync(g.Hub, id, "InviteSent");
        var code = g.InviteCodeFromEmail(Alice);
        var callback = await g.ConsentAsync(code);

        await g.RestartAsync();

        var (status, html) = await g.OpenAsync(callback);
        Assert.True(status == HttpStatusCode.OK, html);
        using var alice = g.Hub.Http(GoogleHub.TokenIn(html));
        Assert.Equal("alice-company-com", (await alice.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>());
        await HubFlows.WaitForStepAsync(g.Hub, id, "Active");
        Assert.Contains(g.Google.SentEmails, m => m.To.Contains(Alice) && m.Body.Contains("/?token=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConnectSender_WithTheAdminCookie_RedirectsToGoogle_OthersGet404()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var jar = new CookieContainer();
        using var browser = g.Hub.Http(cookies: jar);
        using var link = await browser.GetAsync($"/oauth/google/connect-sender?token={g.Hub.AdminToken}");
        Assert.Equal(HttpStatusCode.SeeOther, link.StatusCode);
        Assert.Equal("/oauth/google/connect-sender", link.Headers.Location!.OriginalString);
        Assert.StartsWith("hub_token=", Assert.Single(jar.GetAllCookies()).ToString(), StringComparison.Ordinal);

        // The browser comes back with its session cookie (and no token in the URL).
        using var start = await browser.GetAsync("/oauth/google/connect-sender");

        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.StartsWith(g.Google.AuthorizationEndpoint + "?", start.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("login_hint", start.Headers.Location!.Query, StringComparison.Ordinal);
        g.Google.ConsentAccount = GoogleHub.AdminEmail;
        using var page = await browser.GetAsync((await g.Google.AuthorizeAsync(start.Headers.Location!)).PathAndQuery);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(page.StatusCode == HttpStatusCode.OK, html);
        Assert.Contains(GoogleHub.AdminEmail, html, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.NotFound, (await g.OpenAsync("/oauth/google/connect-sender")).Status);
        var (_, token) = await SignInAsync(g);
        using var user = g.Hub.Http(token);
        Assert.Equal(HttpStatusCode.NotFound, (await user.GetAsync("/oauth/google/connect-sender")).StatusCode);
    }

    [Fact]
    public async Task SignInStart_LocationToGoogle_HasEveryQueryValuePercentEncoded()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        var code = await RequestInviteCodeAsync(g.Hub, Alice);
        using var admin = g.Hub.Http(g.Hub.AdminToken);
        using var person = g.Hub.Http();

        foreach (var start in new[] { await person.GetAsync($"/oauth/google/start?invite={code}"), await admin.GetAsync("/oauth/google/connect-sender") })
        {
            using (start)
            {
                Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);

                // The header as it came over the wire, before HttpClient's Uri parsing could tidy it.
                Assert.True(start.Headers.NonValidated.TryGetValues("Location", out var values));
                var location = Assert.Single(values);
                Assert.StartsWith(g.Google.AuthorizationEndpoint + "?", location, StringComparison.Ordinal);
                Assert.DoesNotContain(" ", location, StringComparison.Ordinal);
                var query = location[(location.IndexOf('?', StringComparison.Ordinal) + 1)..];
                foreach (var pair in query.Split('&'))
                {
                    var value = pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..];
                    Assert.Equal(Uri.EscapeDataString(Uri.UnescapeDataString(value)), value);
                }

                var scope = HttpUtility.ParseQueryString(query)["scope"];
                Assert.Equal(string.Join(' ', CompanyHub.Integrations.Google.GoogleScopes.ForHub(calendarEnabled: false)), scope);
                Assert.Contains("scope=openid%20https%3A%2F%2F", location, StringComparison.Ordinal);
                Assert.Contains($"redirect_uri={Uri.EscapeDataString(g.CallbackUri)}&", location, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("https://hub.company.example")]
    public async Task SignInStart_SetsANonceCookie_HttpOnlyLaxForTheCallbackOnly_SecureOnHttps_TheAttemptKeepsItsHashOnly(string? publicUrl)
    {
        await using var google = await FakeGoogle.StartAsync();
        var port = HubServer.FreePort();
        var settings = google.ConfigurationValues(calendarEnabled: false).ToList();
        if (publicUrl is not null)
        {
            settings.Add(new("PUBLIC_BASE_URL", publicUrl));
        }

        await using var hub = await HubServer.StartAsync(settings, port: port);
        using var browser = HubServer.HttpClientOf($"http://127.0.0.1:{port}", null, null);
        using var requested = await browser.PostAsJsonAsync("/api/onboarding/requests", new { email = Alice, name = "Alice" });
        var code = GoogleHub.InviteCodeIn(JsonNode.Parse(await requested.Content.ReadAsStringAsync())!["inviteUrl"]!.GetValue<string>());

        using var start = await browser.GetAsync($"/oauth/google/start?invite={code}");

        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var stateId = HttpUtility.ParseQueryString(start.Headers.Location!.Query)["state"]!.Split('.')[0];
        var attributes = Assert.Single(start.Headers.GetValues("Set-Cookie")).Split(';', StringSplitOptions.TrimEntries);
        var (name, nonce) = (attributes[0][..attributes[0].IndexOf('=', StringComparison.Ordinal)], attributes[0][(attributes[0].IndexOf('=', StringComparison.Ordinal) + 1)..]);
        Assert.Equal(Functions.OnboardingPages.NonceCookiePrefix + stateId, name);
        Assert.Equal(43, nonce.Length);
        Assert.Contains("httponly", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/oauth/google/callback", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("max-age=900", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Equal(publicUrl is not null, attributes.Contains("secure", StringComparer.OrdinalIgnoreCase));

        var attempt = (await hub.Client.Entities.GetEntityAsync<Entities.OAuthAttempt>(Entities.OAuthStateEntity.Id(stateId)))!.State!;
        Assert.Equal(Security.UserTokens.Hash(nonce), attempt.NonceHash);
        Assert.DoesNotContain(nonce, System.Text.Json.JsonSerializer.Serialize(attempt), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevSignIn_IsOffWhenGoogleIsConfigured_OrWhenForcedOff()
    {
        await using var g = await GoogleHub.StartAsync(people: Alice);
        await AssertDevSignInRefusedAsync(g.Hub, expectGoogleButton: true);

        await using var forcedOff = await HubServer.StartAsync([new("Auth:DevSignIn", "false")]);
        await AssertDevSignInRefusedAsync(forcedOff, expectGoogleButton: false);

        await using var development = await HubServer.StartAsync();
        var code = await RequestInviteCodeAsync(development, Alice);
        using var http = development.Http();
        var page = await http.GetStringAsync($"/invite/{code}");
        Assert.Contains("Development sign-in", page, StringComparison.Ordinal);
        using var wrong = await http.PostAsync($"/invite/{code}/dev-sign-in", new FormUrlEncodedContent([new("email", "mallory@company.com")]));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        using var right = await http.PostAsync($"/invite/{code}/dev-sign-in", new FormUrlEncodedContent([new("email", "ALICE@company.com")]));
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }

    private static async Task<(HttpStatusCode Status, string Token)> SignInAsync(GoogleHub g)
    {
        var (status, html) = await g.SignInAsync(await RequestInviteCodeAsync(g.Hub, Alice));
        Assert.True(status == HttpStatusCode.OK, html);
        return (status, GoogleHub.TokenIn(html));
    }

    internal static async Task<string> RequestInviteCodeAsync(HubServer hub, string email)
    {
        using var anonymous = hub.Http();
        using var requested = await anonymous.PostAsJsonAsync("/api/onboarding/requests", new { email, name = email[..email.IndexOf('@', StringComparison.Ordinal)] });
        var body = await requested.Content.ReadAsStringAsync();
        Assert.True(requested.StatusCode == HttpStatusCode.Accepted, body);
        return GoogleHub.InviteCodeIn(JsonNode.Parse(body)!["inviteUrl"]!.GetValue<string>());
    }

    internal static string WithQuery(Uri url, string name, string? value)
    {
        var query = HttpUtility.ParseQueryString(url.Query);
        if (value is null)
        {
            query.Remove(name);
        }
        else
        {
            query[name] = value;
        }

        return $"{url.AbsolutePath}?{query}";
    }

    private static async Task AssertDevSignInRefusedAsync(HubServer hub, bool expectGoogleButton)
    {
        var code = await RequestInviteCodeAsync(hub, Alice);
        using var http = hub.Http();
        var page = await http.GetStringAsync($"/invite/{code}");
        Assert.DoesNotContain("dev-sign-in", page, StringComparison.Ordinal);
        Assert.Equal(expectGoogleButton, page.Contains("Sign in with Google</a>", StringComparison.Ordinal));
        using var posted = await http.PostAsync($"/invite/{code}/dev-sign-in", new FormUrlEncodedContent([new("email", Alice)]));
        Assert.Equal(HttpStatusCode.NotFound, posted.StatusCode);
    }
}
