using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;
using Microsoft.Extensions.Configuration;
using Serverless.Functions;

namespace CompanyHub.Tests;

/// <summary>
/// Chat messages, proposals and decisions cost LLM money or create work: each person has an allowance of each, kept per
/// person (not per address: every request here comes from 127.0.0.1), and the admin is not limited.
/// </summary>
public sealed class PersonRateLimitTests
{
    private const int Limit = 2;

    // A long window: no request of the test can be allowed again by the time passing.
    private const int WindowSeconds = 3600;

    public enum Way
    {
        Chat,
        Propose,
        DecideOnTheCard,
        DecideInChat,
    }

    [Theory]
    [InlineData(Way.Chat)]
    [InlineData(Way.Propose)]
    [InlineData(Way.DecideOnTheCard)]
    [InlineData(Way.DecideInChat)]
    public async Task OverTheLimit_429WithRetryAfter_NothingDone_OtherPeopleAndTheAdminGoOn(Way way)
    {
        // Arrange: a hub where each person may do 2 of this kind per hour; Alice and Bob; for decisions, proposals to decide
        // (made by the admin, who is not limited).
        var kind = way switch
        {
            Way.Chat => PersonLimit.Chat,
            Way.Propose => PersonLimit.Proposals,
            _ => PersonLimit.Decisions,
        };
        await using var tools = await ToolHub.StartAsync(Tools.Attio, [new($"RateLimits:{kind}:PermitLimit", $"{Limit}"), new($"RateLimits:{kind}:WindowSeconds", $"{WindowSeconds}")]);
        var alice = await tools.OnboardWithDevSignInAsync("alice@company.com", "Alice Example");
        var bob = await tools.OnboardWithDevSignInAsync("bob@company.com", "Bob Example");
        using var aliceHttp = tools.User(alice);
        using var bobHttp = tools.User(bob);
        using var admin = tools.Admin();
        var toDecide = new Dictionary<string, Queue<string>> { [alice] = new(), [bob] = new() };
        if (kind == PersonLimit.Decisions)
        {
            foreach (var (agent, count) in new[] { (alice, Limit + 2), (bob, 1) })
            {
                for (var i = 0; i < count; i++)
                {
                    toDecide[agent].Enqueue(await ToolHub.ProposeAsync(admin, agent, ProposalTypes.CreateAttioTask, new JsonObject { ["content"] = $"Task {i} of {agent}" }));
                }

                await WaitPendingListedAsync(admin, agent, count);
            }
        }

        // One request of the kind, by the holder of http, on agent's behalf; "text" marks it.
        async Task<HttpResponseMessage> ActAsync(HttpClient http, string agent, string text)
        {
            switch (way)
            {
                case Way.Chat:
                    return await http.PostAsJsonAsync($"/api/agents/{agent}/messages", new { text });
                case Way.Propose:
                    return await http.PostAsJsonAsync($"/api/agents/{agent}/proposals", new { type = ProposalTypes.CreateAttioTask, payload = new JsonObject { ["content"] = text } });
                case Way.DecideOnTheCard:
                    return await ToolHub.DecideAsync(http, toDecide[agent].Peek(), "reject", reason: text);
                default:
                    // "no" rejects the newest pending proposal: the next one is decided once this one has left the list.
                    var pending = await PendingAsync(admin, agent);
                    var response = await http.PostAsJsonAsync($"/api/agents/{agent}/messages", new { text = "no" });
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        await WaitPendingListedAsync(admin, agent, pending - 1);
                    }

                    return response;
            }
        }

        async Task<HttpResponseMessage> AcceptedAsync(HttpClient http, string agent, string text)
        {
            var response = await ActAsync(http, agent, text);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{way} '{text}' answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            if (way == Way.DecideOnTheCard)
            {
                toDecide[agent].Dequeue();
            }

            return response;
        }

        for (var i = 0; i < Limit; i++)
        {
            await AcceptedAsync(aliceHttp, alice, $"allowed {i}");
        }

        // What the requests of the kind have done so far (a chat turn is checked in the conversation at the end).
        async Task<int> DoneAsync() => way switch
        {
            Way.Chat => 0,
            Way.Propose => (await ProposalInputsAsync(tools.Hub)).Count(p => p.Contains($"\"agentId\":\"{alice}\"", StringComparison.Ordinal)),
            _ => (await ProposalsOfAsync(admin, alice)).Count(p => p["status"]!.GetValue<string>() != ProposalStatus.Pending),
        };

        var doneBefore = await DoneAsync();

        // Act
        using var refused = await ActAsync(aliceHttp, alice, "over the limit");

        // Assert: 429 naming the limit, with Retry-After; nothing was done.
        var detail = await HubFlows.AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
        var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!.AsObject();
        Assert.Contains($"each person may make {Limit} per {WindowSeconds} seconds", detail, StringComparison.Ordinal);
        Assert.Equal(kind.ToString().ToLowerInvariant(), problem["limit"]!.GetValue<string>());
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(WindowSeconds / Limit));
        Assert.Equal((long)retryAfter.Value.TotalSeconds, problem["retryAfterSeconds"]!.GetValue<long>());
        Assert.Contains($"try again in {(long)retryAfter.Value.TotalSeconds} seconds", detail, StringComparison.Ordinal);
        Assert.Equal(doneBefore, await DoneAsync());

        // Bob has his own allowance, and the admin is not limited (even on Alice's agent).
        await AcceptedAsync(bobHttp, bob, "Bob's first");
        await AcceptedAsync(admin, alice, "the admin's");
        await HubFlows.AssertProblemAsync(await ActAsync(aliceHttp, alice, "still over the limit"), HttpStatusCode.TooManyRequests);

        switch (way)
        {
            case Way.Chat:
                // Turns run in the order they were sent: once the admin's message is in the conversation, the refused one
                // would be too.
                await ToolHub.WaitUntilAsync(() => Conversation(aliceHttp, alice).Contains("the admin's"), "the admin's message in Alice's conversation");
                Assert.DoesNotContain(Conversation(aliceHttp, alice), t => t.Contains("over the limit", StringComparison.Ordinal));
                Assert.Equal(Limit + 1, Conversation(aliceHttp, alice).Count(t => t.StartsWith("allowed ", StringComparison.Ordinal) || t == "the admin's"));
                break;
            case Way.Propose:
                var proposals = await ProposalInputsAsync(tools.Hub);
                Assert.DoesNotContain(proposals, p => p.Contains("over the limit", StringComparison.Ordinal));
                Assert.Equal(Limit + 1, proposals.Count(p => p.Contains($"\"agentId\":\"{alice}\"", StringComparison.Ordinal)));
                break;
            default:
                // Alice decided two, the admin one: one of hers is still pending.
                Assert.Equal(1, await PendingAsync(admin, alice));
                break;
        }
    }

    [Fact]
    public void Settings_Unset_AreTheDefaults_Set_AreRead()
    {
        var none = PersonLimits.Read(new ConfigurationBuilder().Build());
        var set = PersonLimits.Read(new ConfigurationBuilder().AddInMemoryCollection(
            [new("RateLimits:Chat:PermitLimit", " 5 "), new("RateLimits:Chat:WindowSeconds", "10"), new("RateLimits:Decisions:PermitLimit", "1000000")]).Build());

        Assert.Equal(new RateLimit(30, TimeSpan.FromMinutes(1)), none[PersonLimit.Chat]);
        Assert.Equal(new RateLimit(30, TimeSpan.FromMinutes(1)), none[PersonLimit.Proposals]);
        Assert.Equal(new RateLimit(60, TimeSpan.FromMinutes(1)), none[PersonLimit.Decisions]);
        Assert.Equal(new RateLimit(5, TimeSpan.FromSeconds(10)), set[PersonLimit.Chat]);
        Assert.Equal(new RateLimit(30, TimeSpan.FromMinutes(1)), set[PersonLimit.Proposals]);
        Assert.Equal(new RateLimit(1_000_000, TimeSpan.FromMinutes(1)), set[PersonLimit.Decisions]);
    }

    [Theory]
    [InlineData("RateLimits:Chat:PermitLimit", "0")]
    [InlineData("RateLimits:Chat:PermitLimit", "-5")]
    [InlineData("RateLimits:Proposals:PermitLimit", "ten")]
    [InlineData("RateLimits:Proposals:PermitLimit", "1.5")]
    [InlineData("RateLimits:Decisions:PermitLimit", "1000001")]
    [InlineData("RateLimits:Decisions:WindowSeconds", "0")]
    [InlineData("RateLimits:Chat:WindowSeconds", "86401")]
    [InlineData("RateLimits:Chat:WindowSeconds", "1m")]
    public async Task Settings_NotAWholeNumberInRange_StopTheStart_NamingTheSettingAndValue(string setting, string value)
    {
        var error = await Assert.ThrowsAsync<FunctionsConfigurationException>(() => HubServer.StartAsync([new(setting, value)]));

        Assert.Equal(setting, error.Setting);
        Assert.Contains($"'{value}' is not a whole number from 1 to", error.Message, StringComparison.Ordinal);
    }

    private static async Task<int> PendingAsync(HttpClient admin, string agent)
    {
        var all = await ProposalsOfAsync(admin, agent);
        return all.Count(p => p["status"]!.GetValue<string>() == ProposalStatus.Pending);
    }

    /// <summary>Every proposal of the agent as its proposal reads now (the agent's list follows moments later).</summary>
    private static async Task<List<JsonObject>> ProposalsOfAsync(HttpClient admin, string agent)
    {
        var list = (await admin.GetFromJsonAsync<JsonArray>($"/api/agents/{agent}/proposals"))!;
        var proposals = new List<JsonObject>();
        foreach (var id in list.Select(p => p!["proposalId"]!.GetValue<string>()))
        {
            proposals.Add(await ToolHub.GetProposalAsync(admin, id));
        }

        return proposals;
    }

    private static Task WaitPendingListedAsync(HttpClient admin, string agent, int count) =>
        ToolHub.WaitUntilAsync(
            () => admin.GetFromJsonAsync<JsonArray>($"/api/agents/{agent}/proposals?status=pending").GetAwaiter().GetResult()!.Count == count,
            $"{count} proposals of {agent} listed as pending");

    private static List<string> Conversation(HttpClient http, string agent) =>
        [.. http.GetFromJsonAsync<JsonObject>($"/api/agents/{agent}/messages?top=500").GetAwaiter().GetResult()!["messages"]!.AsArray()
            .Where(m => m!["role"]!.GetValue<string>() == "user").Select(m => m!["text"]!.GetValue<string>())];

    /// <summary>The input of every proposal workflow in the store, scheduled or running.</summary>
    private static async Task<List<string>> ProposalInputsAsync(HubServer hub)
    {
        var inputs = new List<string>();
        await foreach (var instance in hub.Client.GetAllInstancesAsync(new Microsoft.DurableTask.Client.OrchestrationQuery { InstanceIdPrefix = "p-", FetchInputsAndOutputs = true }))
        {
            inputs.Add(instance.SerializedInput ?? "");
        }

        return inputs;
    }
}
