using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Security;

namespace CompanyHub.Tests;

/// <summary>Dashboard links (<c>/?token=</c>) become a cookie; cookie-authenticated writes must be same-origin.</summary>
public sealed class TokenLinkTests
{
    [Fact]
    public async Task TokenLink_ExchangesTheTokenForAStrictHttpOnlyCookie_AndRedirectsWithoutIt()
    {
        await using var hub = await HubServer.StartAsync();
        var (aliceId, token) = await HubFlows.OnboardWithDevSignInAsync(hub, "alice@company.com", "Alice");
        using var browser = hub.Http();

        using var link = await browser.GetAsync($"/?token={token}");

        Assert.Equal(HttpStatusCode.SeeOther, link.StatusCode);
        Assert.Equal("/", link.Headers.Location!.OriginalString);
        Assert.Contains("no-store", link.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal("no-referrer", link.Headers.GetValues("Referrer-Policy").Single());
        var cookie = Assert.Single(link.Headers.GetValues("Set-Cookie"));
        var attributes = cookie.Split(';', StringSplitOptions.TrimEntries);
        Assert.Equal($"{TokenAuthenticator.CookieName}={token}", attributes[0]);
        Assert.Contains("httponly", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", attributes, StringComparer.OrdinalIgnoreCase);

        // The cookie is the browser's credential from now on.
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        me.Headers.Add("Cookie", attributes[0]);
        using var answer = await browser.SendAsync(me);
        Assert.Equal(aliceId, (await answer.Content.ReadFromJsonAsync<JsonObject>())!["agentId"]!.GetValue<string>());

        // Other query parameters survive; only the token goes.
        using var deep = await browser.GetAsync($"/index.html?view=proposals&token={token}&tab=2");
        Assert.Equal(HttpStatusCode.SeeOther, deep.StatusCode);
        Assert.Equal("/index.html?view=proposals&tab=2", deep.Headers.Location!.OriginalString);

        // The page it lands on is served without the token.
        using var page = await browser.GetAsync(link.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);

        // Each sign-in by link is in the audit log, with the address it came from.
        var logins = await HubFlows.AuditAsync(hub, "auth.login", aliceId);
        Assert.Equal(2, logins.Count);
        Assert.All(logins, e =>
        {
            Assert.Equal($"user:{aliceId}", e["actor"]!.GetValue<string>());
            Assert.Equal("127.0.0.1", e["address"]!.GetValue<string>());
            Assert.Equal("ok", e["outcome"]!.GetValue<string>());
        });
    }

    [Fact]
    public async Task AdminToken_IsNotAcceptedInTheQuery_TheHostKeyIs_AndTheHeaderTakesBoth()
    {
        await using var hub = await HubServer.StartAsync();
        var hostKey = (await File.ReadAllTextAsync(Path.Combine(hub.Directory, "host-admin.key"))).Trim();
        using var anonymous = hub.Http();
        const string Instances = "/runtime/webhooks/durabletask/instances";

        // A query string lands in logs and browser histories: ?code= carries the host key only.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"{Instances}?code={Uri.EscapeDataString(hub.AdminToken)}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"{Instances}?code={Uri.EscapeDataString(hostKey)}")).StatusCode);
        foreach (var key in new[] { hub.AdminToken, hostKey })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Instances);
            request.Headers.Add("x-functions-key", key);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(request)).StatusCode);
        }
    }

    [Theory]
    [InlineData("Token")]
    [InlineData("TOKEN")]
    public async Task TokenLink_TheParameterInAnotherCase_IsStrippedToo_SoTheRedirectEnds(string name)
    {
        await using var hub = await HubServer.StartAsync();
        var (aliceId, token) = await HubFlows.OnboardWithDevSignInAsync(hub, "alice@company.com", "Alice");
        using var browser = hub.Http();

        using var link = await browser.GetAsync($"/?view=proposals&{name}={token}");

        Assert.Equal(HttpStatusCode.SeeOther, link.StatusCode);
        Assert.Equal("/?view=proposals", link.Headers.Location!.OriginalString);
        using var page = await browser.GetAsync(link.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Single(await HubFlows.AuditAsync(hub, "auth.login", aliceId));
    }

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("/%5Cevil.example/")]
    [InlineData("/%5C%5Cevil.example/")]
    [InlineData("///evil.example/")]
    public async Task TokenLink_OnAPathThatLooksLikeAnotherHost_RedirectsWithinTheHub(string path)
    {
        await using var hub = await HubServer.StartAsync();
        using var browser = hub.Http();

        using var link = await browser.GetAsync(new Uri($"{hub.BaseUrl}{path}?token={hub.AdminToken}"));

        Assert.Equal(HttpStatusCode.SeeOther, link.StatusCode);
        var location = link.Headers.Location!.OriginalString;
        Assert.StartsWith("/", location, StringComparison.Ordinal);
        Assert.False(location.StartsWith("//", StringComparison.Ordinal) || location.StartsWith("/\\", StringComparison.Ordinal), $"open redirect to {location}");
        var target = new Uri(new Uri(hub.BaseUrl), location);
        Assert.Equal(new Uri(hub.BaseUrl).Authority, target.Authority);
    }

    [Fact]
    public async Task TokenLink_WithABadToken_Answers401Page_AndSetsNoCookie()
    {
        await using var hub = await HubServer.StartAsync();
        using var browser = hub.Http();

        using var link = await browser.GetAsync("/?token=not-a-real-token-but-32-chars-xx");

        Assert.Equal(HttpStatusCode.Unauthorized, link.StatusCode);
        Assert.False(link.Headers.Contains("Set-Cookie"));
        var html = await link.Content.ReadAsStringAsync();
        Assert.Contains("This link does not work", html, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-real-token", html, StringComparison.Ordinal);
        var failed = Assert.Single(await HubFlows.AuditAsync(hub, "auth.login-failed"));
        Assert.Equal("refused", failed["outcome"]!.GetValue<string>());
        Assert.DoesNotContain("not-a-real-token", failed.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StaleCookie_AfterRotation_Answers401_AndIsCleared_SoAnOpenTabCannotLockTheAddressOut()
    {
        await using var hub = await HubServer.StartAsync();
        var (aliceId, token) = await HubFlows.OnboardWithDevSignInAsync(hub, "alice@company.com", "Alice");
        using var admin = hub.Http(hub.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/agents/{aliceId}/token/rotate", null)).StatusCode);
        using var browser = hub.Http();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/agents/{aliceId}");
        request.Headers.Add("Cookie", $"{TokenAuthenticator.CookieName}={token}");

        using var stale = await browser.SendAsync(request);

        await HubFlows.AssertProblemAsync(stale, HttpStatusCode.Unauthorized);
        var cleared = Assert.Single(stale.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"{TokenAuthenticator.CookieName}=;", cleared, StringComparison.Ordinal);
        Assert.Contains("expires=Thu, 01 Jan 1970", cleared, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", cleared, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TokenLink_PublicUrlIsHttps_CookieIsSecure()
    {
        var port = HubServer.FreePort();
        await using var hub = await HubServer.StartAsync([new("PUBLIC_BASE_URL", "https://hub.company.example")], port: port);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        using var link = await browser.GetAsync($"/?token={hub.AdminToken}");

        Assert.Equal(HttpStatusCode.SeeOther, link.StatusCode);
        var attributes = Assert.Single(link.Headers.GetValues("Set-Cookie")).Split(';', StringSplitOptions.TrimEntries);
        Assert.Contains("secure", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("httponly", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", attributes, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task CookieAuthenticatedWrite_WithoutSameOriginProof_IsRefused403_SameOriginIsAllowed()
    {
        await using var hub = await HubServer.StartAsync();
        var (aliceId, token) = await HubFlows.OnboardWithDevSignInAsync(hub, "alice@company.com", "Alice");
        using var browser = hub.Http();
        var path = $"/api/agents/{aliceId}/proposals";

        async Task<HttpResponseMessage> PostAsync(params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path)
            {
                Content = JsonContent.Create(new { type = "message_agent", payload = new { agentId = "orchestrator", text = "Hello" } }),
            };
            request.Headers.Add("Cookie", $"{TokenAuthenticator.CookieName}={token}");
            foreach (var (name, value) in headers)
            {
                request.Headers.Add(name, value);
            }

            return await browser.SendAsync(request);
        }

        await HubFlows.AssertProblemAsync(await PostAsync(), HttpStatusCode.Forbidden);
        await HubFlows.AssertProblemAsync(await PostAsync(("Origin", "https://evil.example")), HttpStatusCode.Forbidden);
        await HubFlows.AssertProblemAsync(await PostAsync(("Origin", "null")), HttpStatusCode.Forbidden);
        await HubFlows.AssertProblemAsync(await PostAsync(("Sec-Fetch-Site", "cross-site")), HttpStatusCode.Forbidden);
        await HubFlows.AssertProblemAsync(await PostAsync(("Sec-Fetch-Site", "same-site")), HttpStatusCode.Forbidden);
        await HubFlows.AssertProblemAsync(await PostAsync(("Sec-Fetch-Site", "cross-site"), ("Origin", hub.BaseUrl)), HttpStatusCode.Forbidden);
        Assert.Empty((await ProposalsAsync(hub, token, aliceId))!);

        using (var sameOrigin = await PostAsync(("Sec-Fetch-Site", "same-origin")))
        {
            Assert.Equal(HttpStatusCode.Accepted, sameOrigin.StatusCode);
        }

        using (var origin = await PostAsync(("Origin", hub.BaseUrl)))
        {
            Assert.Equal(HttpStatusCode.Accepted, origin.StatusCode);
        }

        // Reads by cookie and writes by bearer need no such proof.
        using var read = new HttpRequestMessage(HttpMethod.Get, path);
        read.Headers.Add("Cookie", $"{TokenAuthenticator.CookieName}={token}");
        Assert.Equal(HttpStatusCode.OK, (await browser.SendAsync(read)).StatusCode);
        using var api = hub.Http(token);
        Assert.Equal(HttpStatusCode.Accepted, (await api.PostAsJsonAsync(path, new { type = "message_agent", payload = new { agentId = "orchestrator", text = "Hello" } })).StatusCode);
        await HubFlows.WaitUntilAsync(async () => (await ProposalsAsync(hub, token, aliceId))!.Count == 3, () => "the three allowed proposals");
    }

    [Fact]
    public async Task CookieAuthenticatedWrite_FromThePublicOriginBehindAProxy_IsAllowed()
    {
        // Behind a TLS-terminating gateway the hub sees http and its own address; the browser's Origin is the public URL.
        var port = HubServer.FreePort();
        await using var hub = await HubServer.StartAsync([new("PUBLIC_BASE_URL", "https://hub.company.example")], port: port);
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        async Task<HttpStatusCode> BroadcastAsync(string origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/broadcast") { Content = JsonContent.Create(new { text = "hello" }) };
            request.Headers.Add("Cookie", $"{TokenAuthenticator.CookieName}={hub.AdminToken}");
            request.Headers.Add("Origin", origin);
            using var response = await browser.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Accepted, await BroadcastAsync("https://hub.company.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await BroadcastAsync("http://hub.company.example"));
        Assert.Equal(HttpStatusCode.Forbidden, await BroadcastAsync("https://evil.company.example"));
    }

    private static async Task<JsonArray?> ProposalsAsync(HubServer hub, string token, string agentId)
    {
        using var http = hub.Http(token);
        return await http.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/proposals");
    }
}
