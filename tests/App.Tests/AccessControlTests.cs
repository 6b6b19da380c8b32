using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CompanyHub.Security;

namespace CompanyHub.Tests;

/// <summary>Tokens against the running hub: who reaches what, 401 for bad credentials, rotation, one-time display, audit.</summary>
public sealed class AccessControlTests
{
    private const string ManagementApi = "/runtime/webhooks/durabletask/instances";

    [Fact]
    public async Task UserToken_ReachesOnlyItsOwnAgent_OtherAgentsAndAdminRoutesAnswer404()
    {
        await using var hub = await HubServer.StartAsync();
        var (aliceId, aliceToken) = await HubFlows.OnboardWithDevSignInAsync(hub, "alice@company.com", "Alice");
        var (bobId, bobToken) = await HubFlows.OnboardWithDevSignInAsync(hub, "bob@company.com", "Bob");
        using var bob = hub.Http(bobToken);
        var bobProposal = await ProposeWriteAsync(bob, bobId);
        using var alice = hub.Http(aliceToken);

        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/api/agents/{aliceId}")).StatusCode);
        var visible = await alice.GetFromJsonAsync<JsonArray>("/api/agents");
        Assert.Equal(new[] { aliceId }, visible!.Select(a => a!["agentId"]!.GetValue<string>()));

        var probes = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Get, $"/api/agents/{bobId}", null),
            (HttpMethod.Get, $"/api/agents/{bobId}/proposals", null),
            (HttpMethod.Get, $"/api/agents/{bobId}/inbox", null),
            (HttpMethod.Get, $"/api/agents/{bobId}/messages", null),
            (HttpMethod.Get, $"/api/agents/{bobId}/audit", null),
            (HttpMethod.Get, "/api/agents/orchestrator", null),
            (HttpMethod.Get, "/api/agents/no-such-agent", null),
            (HttpMethod.Post, $"/api/agents/{bobId}/messages", new { text = "hello" }),
            (HttpMethod.Post, $"/api/agents/{bobId}/proposals", new { type = "send_email", payload = new { to = new[] { "x@company.com" }, subject = "s", body = "b" } }),
            (HttpMethod.Post, $"/api/agents/{bobId}/token/rotate", null),
            (HttpMethod.Get, $"/api/proposals/{bobProposal}", null),
            (HttpMethod.Post, $"/api/proposals/{bobProposal}/decision", new { decision = "approve", revision = 1 }),
            (HttpMethod.Delete, $"/api/agents/{bobId}", null),
            (HttpMethod.Delete, $"/api/agents/{aliceId}", null),
            (HttpMethod.Get, "/api/admin/audit", null),
            (HttpMethod.Get, "/api/admin/onboardings", null),
            (HttpMethod.Post, "/api/admin/onboardings", new { email = "eve@company.com", name = "Eve" }),
            (HttpMethod.Get, "/api/admin/health", null),
            (HttpMethod.Post, "/api/admin/broadcast", new { text = "hi all" }),
            (HttpMethod.Get, $"/api/agents/{bobId}/persona", null),
            (HttpMethod.Get, $"/api/agents/{bobId}/persona/versions", null),
            (HttpMethod.Put, $"/api/agents/{bobId}/persona", new { tone = "rude" }),
            (HttpMethod.Get, $"/api/agents/{bobId}/memory", null),
            (HttpMethod.Delete, $"/api/agents/{bobId}/memory/m-1", null),
            (HttpMethod.Get, "/api/admin/personas/default", null),
            (HttpMethod.Put, "/api/admin/personas/orchestrator", new { instructions = "obey alice" }),
            (HttpMethod.Get, "/api/admin/personas/orchestrator/versions", null),
            (HttpMethod.Get, "/api/admin/knowledge", null),
            (HttpMethod.Post, "/api/admin/knowledge", new { title = "t", body = "b" }),
            (HttpMethod.Get, "/api/admin/knowledge/kb-1", null),
            (HttpMethod.Put, "/api/admin/knowledge/kb-1", new { title = "t", body = "b" }),
            (HttpMethod.Delete, "/api/admin/knowledge/kb-1", null),
            (HttpMethod.Post, "/api/admin/knowledge/sync", new { databaseId = "db" }),
            (HttpMethod.Get, ManagementApi, null),
            (HttpMethod.Get, $"{ManagementApi}/{bobProposal}", null),
            (HttpMethod.Post, $"{ManagementApi}/{bobProposal}/raiseEvent/ApprovalDecision", new { decision = "approve", revision = 1 }),
        };
        foreach (var (method, path, body) in probes)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            using var response = await alice.SendAsync(request);
            var detail = await HubFlows.AssertProblemAsync(response, HttpStatusCode.NotFound);
            Assert.DoesNotContain(aliceToken, detail, StringComparison.Ordinal);
        }

        using var connectSender = await alice.GetAsync("/oauth/google/connect-sender");
        Assert.Equal(HttpStatusCode.NotFound, connectSender.StatusCode);

        // Nothing of Bob's changed: his proposal is still pending and his token still works.
        Assert.Equal("pending", (await bob.GetFromJsonAsync<JsonObject>($"/api/proposals/{bobProposal}"))!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync($"/api/agents/{bobId}")).StatusCode);
        using var admin = hub.Http(hub.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/agents/{bobId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(ManagementApi)).StatusCode);
    }

    [Fact]
    public async Task MissingGarbledOrUnknownToken_Answers401ProblemJson()
    {
        await using var hub = await HubServer.StartAsync();
        var (aliceId, _) = await HubFlows.OnboardWithDevSignInAsync(hub, "alice@company.com", "Alice");
        var unknown = Base64Url.Encode(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));

        foreach (var credential in new string?[] { null, "garbage", unknown, hub.AdminToken[..31], hub.AdminToken + "x", "" })
        {
            using var http = hub.Http();
            foreach (var path in new[] { "/api/me", $"/api/agents/{aliceId}", "/api/admin/audit", ManagementApi })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, path);
                if (credential is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + credential);
                }

                using var response = await http.SendAsync(request);
                var detail = await HubFlows.AssertProblemAsync(response, HttpStatusCode.Unauthorized);
                if (credential is { Length: > 3 })
                {
                    Assert.DoesNotContain(credential, detail, StringComparison.Ordinal);
                }
            }
        }

        using var cookie = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        cookie.Headers.Add("Cookie", $"{TokenAuthenticator.CookieName}={unknown}");
        using var client = hub.Http();
        await HubFlows.AssertProblemAsync(await client.SendAsync(cookie), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TokenRotation_ShowsTheNewTokenOnce_TheOldOneStopsAtOnce_AndIsAudited()
    {
        await using var hub = await HubServer.StartAsync();
        var (aliceId, firstToken) = await HubFlows.OnboardWithDevSignInAsync(hub, "alice@company.com", "Alice");
        var (bobId, bobFirst) = await HubFlows.OnboardWithDevSignInAsync(hub, "bob@company.com", "Bob");

        // The person rotates their own token.
        using var alice = hub.Http(firstToken);
        using var rotated = await alice.PostAsync($"/api/agents/{aliceId}/token/rotate", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Contains("no-store", rotated.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        var answer = (await rotated.Content.ReadFromJsonAsync<JsonObject>())!;
        var secondToken = answer["token"]!.GetValue<string>();
        Assert.Matches("^[A-Za-z0-9_-]{32}$", secondToken);
        Assert.Equal($"{hub.BaseUrl}/?token={secondToken}", answer["dashboardUrl"]!.GetValue<string>());
        Assert.NotEqual(firstToken, secondToken);

        await HubFlows.AssertProblemAsync(await alice.GetAsync("/api/me"), HttpStatusCode.Unauthorized);
        using var aliceAgain = hub.Http(secondToken);
        Assert.Equal(aliceId, (await aliceAgain.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>());

        // The admin rotates Bob's.
        using var admin = hub.Http(hub.AdminToken);
        using var bobRotated = await admin.PostAsync($"/api/agents/{bobId}/token/rotate", null);
        Assert.Equal(HttpStatusCode.OK, bobRotated.StatusCode);
        var bobSecond = (await bobRotated.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        using var bobOld = hub.Http(bobFirst);
        await HubFlows.AssertProblemAsync(await bobOld.GetAsync($"/api/agents/{bobId}"), HttpStatusCode.Unauthorized);
        using var bobNew = hub.Http(bobSecond);
        Assert.Equal(HttpStatusCode.OK, (await bobNew.GetAsync($"/api/agents/{bobId}")).StatusCode);

        // The one-time display: no read answer carries a token in the clear, not even the admin's views of the store.
        var tokens = new[] { firstToken, secondToken, bobFirst, bobSecond, hub.AdminToken };
        var reads = new List<(string Path, string Bearer)>
        {
            ("/api/me", secondToken), ("/api/agents", secondToken), ($"/api/agents/{aliceId}", secondToken), ($"/api/agents/{aliceId}/audit", secondToken),
            ($"/api/agents/{aliceId}/messages", secondToken), ($"/api/agents/{aliceId}/proposals", secondToken),
            ("/api/agents", hub.AdminToken), ("/api/admin/audit?top=1000", hub.AdminToken), ("/api/admin/onboardings", hub.AdminToken), ("/api/admin/health", hub.AdminToken),
            ($"{ManagementApi}?showInput=true", hub.AdminToken), ("/runtime/webhooks/durabletask/entities", hub.AdminToken),
            ($"/runtime/webhooks/durabletask/entities/agent/{aliceId}", hub.AdminToken), ("/runtime/webhooks/durabletask/entities/directory/company", hub.AdminToken),
        };
        var onboardings = (await admin.GetFromJsonAsync<JsonArray>("/api/admin/onboardings"))!.Select(o => o!["onboardingId"]!.GetValue<string>()).ToList();
        Assert.Equal(2, onboardings.Count);
        reads.AddRange(onboardings.Select(id => ($"{ManagementApi}/{id}?showHistory=true&showHistoryOutput=true&showInput=true", hub.AdminToken)));
        foreach (var (path, bearer) in reads)
        {
            using var reader = hub.Http(bearer);
            using var response = await reader.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
            foreach (var token in tokens)
            {
                Assert.False(body.Contains(token, StringComparison.Ordinal), $"GET {path} shows a token in the clear: {body}");
            }
        }

        var audit = await HubFlows.AuditAsync(hub, "token.rotated");
        Assert.Contains(audit, e => e["actor"]!.GetValue<string>() == $"user:{aliceId}" && e["agentId"]!.GetValue<string>() == aliceId && e["address"] is not null);
        Assert.Contains(audit, e => e["actor"]!.GetValue<string>() == "admin" && e["agentId"]!.GetValue<string>() == bobId);
        var aliceAudit = await aliceAgain.GetFromJsonAsync<JsonArray>($"/api/agents/{aliceId}/audit");
        Assert.Contains(aliceAudit!, e => e!["action"]!.GetValue<string>() == "token.rotated");
        Assert.DoesNotContain(aliceAudit!, e => e!["agentId"]?.GetValue<string>() == bobId);
    }

    [Fact]
    public async Task OffboardedAgent_TokenStopsAtOnce()
    {
        await using var hub = await HubServer.StartAsync();
        var (aliceId, token) = await HubFlows.OnboardWithDevSignInAsync(hub, "alice@company.com", "Alice");
        using var alice = hub.Http(token);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/me")).StatusCode);

        using var admin = hub.Http(hub.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/agents/{aliceId}")).StatusCode);

        await HubFlows.AssertProblemAsync(await alice.GetAsync("/api/me"), HttpStatusCode.Unauthorized);
        Assert.Contains(await HubFlows.AuditAsync(hub, "agent.offboarded"), e => e["agentId"]!.GetValue<string>() == aliceId);
    }

    [Fact]
    public async Task ProposalDecisions_AreAudited_WithWhoDecided()
    {
        await using var hub = await HubServer.StartAsync();
        var (aliceId, token) = await HubFlows.OnboardWithDevSignInAsync(hub, "alice@company.com", "Alice");
        using var alice = hub.Http(token);
        var rejected = await ProposeWriteAsync(alice, aliceId);
        var approved = await ProposeWriteAsync(alice, aliceId);

        using (var no = await alice.PostAsJsonAsync($"/api/proposals/{rejected}/decision", new { decision = "reject", reason = "not now", revision = 1 }))
        {
            Assert.Equal(HttpStatusCode.Accepted, no.StatusCode);
        }

        using var admin = hub.Http(hub.AdminToken);
        using (var yes = await admin.PostAsJsonAsync($"/api/proposals/{approved}/decision", new { decision = "approve", revision = 1 }))
        {
            Assert.Equal(HttpStatusCode.Accepted, yes.StatusCode);
        }

        IReadOnlyList<JsonObject> audit = [];
        await HubFlows.WaitUntilAsync(
            async () => (audit = await HubFlows.AuditAsync(hub, "proposal.", aliceId)).Any(e => e["target"]!.GetValue<string>() == rejected && e["action"]!.GetValue<string>() == "proposal.rejected")
                && audit.Any(e => e["target"]!.GetValue<string>() == approved && e["action"]!.GetValue<string>() == "proposal.approved"),
            () => $"the decisions in the audit log: {string.Join(", ", audit.Select(e => e.ToJsonString()))}");
        Assert.Equal($"user:{aliceId}", audit.First(e => e["action"]!.GetValue<string>() == "proposal.rejected")["actor"]!.GetValue<string>());
        Assert.Equal("admin", audit.First(e => e["action"]!.GetValue<string>() == "proposal.approved")["actor"]!.GetValue<string>());
        Assert.Contains(audit, e => e["action"]!.GetValue<string>() == "proposal.created" && e["actor"]!.GetValue<string>() == $"user:{aliceId}");
    }

    [Fact]
    public async Task RequestBody_Over1MiB_IsRefusedWith413()
    {
        await using var hub = await HubServer.StartAsync();
        var large = "{\"email\":\"alice@company.com\",\"name\":\"" + new string('a', 1024 * 1024 + 10) + "\"}";

        using var admin = hub.Http(hub.AdminToken);
        using var asAdmin = await admin.PostAsync("/api/admin/onboardings", new StringContent(large, Encoding.UTF8, "application/json"));
        await HubFlows.AssertProblemAsync(asAdmin, HttpStatusCode.RequestEntityTooLarge);

        using var anonymous = hub.Http();
        using var asAnyone = await anonymous.PostAsync("/api/onboarding/requests", new StringContent(large, Encoding.UTF8, "application/json"));
        await HubFlows.AssertProblemAsync(asAnyone, HttpStatusCode.RequestEntityTooLarge);

        // Just under the limit is read (and refused for its content, not its size).
        var fits = "{\"email\":\"alice@company.com\",\"name\":\"" + new string('a', 1024 * 1000) + "\"}";
        using var ok = await admin.PostAsync("/api/admin/onboardings", new StringContent(fits, Encoding.UTF8, "application/json"));
        await HubFlows.AssertProblemAsync(ok, HttpStatusCode.BadRequest);
    }

    /// <summary>Proposes an email (the hub must have Gmail configured).</summary>
    internal static async Task<string> ProposeGmailAsync(HttpClient http, string agentId, string emailBody = "Here they are.")
    {
        using var response = await http.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new
        {
            type = "send_email",
            payload = new { to = new[] { "carol@example.com" }, subject = "Quarterly numbers", body = emailBody },
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonNode.Parse(body)!["proposalId"]!.GetValue<string>();
    }

    /// <summary>Proposes a message to the orchestrator: a write that needs no outside credentials.</summary>
    internal static async Task<string> ProposeWriteAsync(HttpClient http, string agentId)
    {
        using var response = await http.PostAsJsonAsync($"/api/agents/{agentId}/proposals", new
        {
            type = "message_agent",
            payload = new { agentId = "orchestrator", text = "Quarterly numbers: here they are." },
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonNode.Parse(body)!["proposalId"]!.GetValue<string>();
    }
}
