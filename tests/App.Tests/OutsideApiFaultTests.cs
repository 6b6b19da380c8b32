using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Fakes;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Google;
using CompanyHub.Fakes.Notion;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>How an outside API misbehaves, injected into its fake.</summary>
public enum Fault
{
    /// <summary>Holds the request longer than the hub's request timeout (the request has no effect).</summary>
    Timeout,

    /// <summary>Answers 503 with the service's error body.</summary>
    ServerError,

    /// <summary>Answers 429 with <c>Retry-After: 2</c>.</summary>
    RateLimited,

    /// <summary>Answers 200 with a body that is not JSON (the request has no effect).</summary>
    MalformedJson,
}

/// <summary>
/// A hub with every tool and a fake LLM, Alice onboarded through Google, and short request timeouts (1.5 s) so that
/// injected timeouts are quick. The outside-API fault tests share it.
/// </summary>
public sealed class FaultHubFixture : ToolHubFixture
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(1.5);

    public FakeOpenAi Llm { get; private set; } = null!;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("LLM_API_KEY", "test-llm-key"), new("LLM_BASE_URL", Llm.BaseUrl), new("LLM_MODEL", "test-model"), new("LLM_TIMEOUT_SECONDS", "1.5"),
        new("GOOGLE_DRIVE", "true"), new("Google:RequestTimeout", "00:00:01.500"), new("Notion:RequestTimeout", "00:00:01.500"), new("Attio:RequestTimeout", "00:00:01.500"),
    ];

    public override async Task InitializeAsync()
    {
        Llm = await FakeOpenAi.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Llm.DisposeAsync();
    }

    /// <summary>The fake behind an integration.</summary>
    public FakeServer Fake(string integration) => integration switch
    {
        "gmail" or "gmail-drafts" or "calendar" or "drive" => Tools.Google,
        "notion" => Tools.Notion,
        "attio" => Tools.Attio,
        _ => throw new ArgumentOutOfRangeException(nameof(integration), integration, null),
    };

    /// <summary>Makes the next call to <paramref name="endpoint"/> fail with <paramref name="fault"/>.</summary>
    public static void Inject(FakeServer fake, Fault fault, string endpoint, int count = 1)
    {
        switch (fault)
        {
            case Fault.Timeout:
                fake.DelayNext(count, RequestTimeout * 4, endpoint);
                break;
            case Fault.ServerError:
                fake.FailNext(count, 503, "The service is currently unavailable.", endpoint);
                break;
            case Fault.RateLimited:
                fake.RateLimitNext(count, TimeSpan.FromSeconds(2), endpoint);
                break;
            case Fault.MalformedJson:
                fake.GarbleNext(count, endpoint);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    /// <summary>What a message about <paramref name="fault"/> must mention so a person (or the model) knows what happened.</summary>
    public static Regex Explains(Fault fault) => fault switch
    {
        Fault.Timeout => new("timed out", RegexOptions.IgnoreCase),
        Fault.ServerError => new(@"503|unavailable", RegexOptions.IgnoreCase),
        Fault.RateLimited => new(@"429|rate", RegexOptions.IgnoreCase),
        Fault.MalformedJson => new(@"not (valid )?JSON", RegexOptions.IgnoreCase),
        _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
    };

    /// <summary>Asserts that <paramref name="message"/> explains <paramref name="fault"/> and is clean.</summary>
    public static void AssertExplains(Fault fault, string message)
    {
        Assert.True(Explains(fault).IsMatch(message), $"The message does not say what happened ({fault}): {message}");
        AssertClean(message);
    }

    /// <summary>A proposal's error names the service's answer and never a credential: no Google access token, no Notion or Attio key.</summary>
    public void AssertNoSecret(string message)
    {
        Assert.DoesNotContain("ya29.", message, StringComparison.Ordinal);
        Assert.DoesNotContain(Tools.Notion.ApiKey, message, StringComparison.Ordinal);
        Assert.DoesNotContain(Tools.Attio.ApiKey, message, StringComparison.Ordinal);
    }

    /// <summary>A message may explain; it must not carry a stack trace or an exception type.</summary>
    public static void AssertClean(string message)
    {
        Assert.DoesNotMatch(@"\s+at [\w.]+\(|\.cs:line|System\.[A-Za-z.]+Exception", message);
        Assert.False(string.IsNullOrWhiteSpace(message));
    }
}

/// <summary>
/// Reads (an agent's read tools in a chat turn) and the LLM itself, when the outside API times out, answers 5xx or
/// 429, or answers with malformed JSON: the turn goes on, and the model (or the person) gets a message that says what
/// happened — never a stack trace.
/// </summary>
public sealed class ReadFaultTests(FaultHubFixture fixture) : IClassFixture<FaultHubFixture>
{
    /// <summary>Per integration: a read tool, its arguments, and the fake's endpoint it calls.</summary>
    public static TheoryData<string, string, string, string, Fault> Reads()
    {
        var reads = new (string Integration, string Tool, string Arguments, string Endpoint)[]
        {
            ("gmail", "gmail_search", """{"query":"from:sarah@acme.com"}""", GoogleEndpoints.GmailList),
            ("gmail-drafts", "gmail_list_drafts", "{}", GoogleEndpoints.GmailDraftsList),
            ("calendar", "calendar_list_events", "{}", GoogleEndpoints.CalendarList),
            ("drive", "drive_search", """{"query":"plan"}""", GoogleEndpoints.DriveFilesList),
            ("notion", "notion_search", """{"query":"Team Wiki"}""", NotionEndpoints.Search),
            ("attio", "attio_query_records", """{"object":"people"}""", AttioEndpoints.RecordsQuery),
        };
        var data = new TheoryData<string, string, string, string, Fault>();
        foreach (var r in reads)
        {
            foreach (var fault in Enum.GetValues<Fault>())
            {
                data.Add(r.Integration, r.Tool, r.Arguments, r.Endpoint, fault);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task ReadTool_OutsideApiFault_TheModelIsToldWhatHappened_AndTheTurnAnswers(string integration, string tool, string arguments, string endpoint, Fault fault)
    {
        var llm = fixture.Llm;
        llm.ClearScript();
        using var alice = fixture.Tools.User(fixture.Alice);
        var after = await LastSeqAsync(alice);
        var before = llm.Requests.Count;
        var reply = $"Sorry, {integration} did not answer ({Guid.NewGuid():N}).";
        FaultHubFixture.Inject(fixture.Fake(integration), fault, endpoint);
        llm.Then(FakeOpenAi.Reply.Call(tool, JsonNode.Parse(arguments)!.AsObject())).Then(FakeOpenAi.Reply.Text(reply));

        var sent = await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/messages", new { text = $"Look this up in {integration}." });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        await ToolHub.WaitUntilAsync(() => llm.Requests.Count >= before + 2, "the model's second call, with the tool's answer");

        var toolResult = llm.Requests.ToArray()[before + 1]["messages"]!.AsArray().Last(m => m!["role"]!.GetValue<string>() == "tool")!["content"]!.ToString();
        Assert.StartsWith($"Error from {tool}:", toolResult, StringComparison.Ordinal);
        FaultHubFixture.AssertExplains(fault, toolResult);
        await WaitForReplyAsync(alice, after, reply);
    }

    /// <summary>The LLM failing once is retried; failing every time gives the person a plain message.</summary>
    [Theory]
    [InlineData(Fault.Timeout, 1)]
    [InlineData(Fault.ServerError, 1)]
    [InlineData(Fault.RateLimited, 1)]
    [InlineData(Fault.MalformedJson, 1)]
    [InlineData(Fault.ServerError, 3)]
    [InlineData(Fault.MalformedJson, 3)]
    public async Task Llm_OutsideApiFault_IsRetried_OrThePersonIsToldPlainly(Fault fault, int times)
    {
        var llm = fixture.Llm;
        llm.ClearScript();
        using var alice = fixture.Tools.User(fixture.Alice);
        var after = await LastSeqAsync(alice);
        var answer = $"Here is your answer ({Guid.NewGuid():N}).";
        for (var i = 0; i < times; i++)
        {
            llm.Then(fault switch
            {
                Fault.Timeout => new FakeOpenAi.Reply("late", Delay: TimeSpan.FromSeconds(6)),
                Fault.ServerError => FakeOpenAi.Reply.Error(503, "The server is overloaded."),
                Fault.RateLimited => FakeOpenAi.Reply.RateLimited(2),
                _ => FakeOpenAi.Reply.Garbled("{\"id\": \"chatcmpl-1\", \"choices\": [ <html>"),
            });
        }

        if (times < 3)
        {
            llm.Then(FakeOpenAi.Reply.Text(answer));
        }

        var sent = await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/messages", new { text = "What's next?" });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);

        var reply = await WaitForReplyAsync(alice, after, times < 3 ? answer : "I could not reach the language model");
        FaultHubFixture.AssertClean(reply);
    }

    private async Task<long> LastSeqAsync(HttpClient alice) =>
        (await alice.GetFromJsonAsync<JsonObject>($"/api/agents/{fixture.Alice}/messages?after=0&top=500"))!["next"]!.GetValue<long>();

    /// <summary>Waits for an assistant message after <paramref name="after"/> that starts with <paramref name="startsWith"/>.</summary>
    private async Task<string> WaitForReplyAsync(HttpClient alice, long after, string startsWith)
    {
        string? found = null;
        await ToolHub.WaitUntilAsync(
            () =>
            {
                var messages = alice.GetFromJsonAsync<JsonObject>($"/api/agents/{fixture.Alice}/messages?after={after}&top=500").GetAwaiter().GetResult()!["messages"]!.AsArray();
                found = messages.Select(m => m!["text"]!.GetValue<string>()).LastOrDefault(t => t.StartsWith(startsWith, StringComparison.Ordinal));
                return found is not null;
            },
            $"the assistant's reply starting '{startsWith}'");
        return found!;
    }
}

/// <summary>
/// Writes (approved proposals) when the outside API times out, answers 5xx or 429, answers with malformed JSON, or
/// refuses the request (4xx): transient faults are retried per the approval's retry policy (5 attempts, backoff,
/// Retry-After honoured) and the action happens once; a fault that lasts fails the proposal with the status and the
/// service's message, on the API and in the agent's proposal list (what the dashboard shows); a 4xx fails it at once.
/// Every proposal type that writes to an outside service is in the table.
/// </summary>
public sealed class WriteFaultTests(FaultHubFixture fixture) : IClassFixture<FaultHubFixture>
{
    /// <summary>Per proposal type: its integration and the fake's endpoint that carries it out.</summary>
    private static readonly (string Integration, string Type, string Endpoint)[] Writes =
    [
        ("gmail", ProposalTypes.SendEmail, GoogleEndpoints.GmailSend),
        ("gmail-drafts", ProposalTypes.CreateGmailDraft, GoogleEndpoints.GmailDraftsCreate),
        ("calendar", ProposalTypes.CreateCalendarEvent, GoogleEndpoints.CalendarInsert),
        ("notion", ProposalTypes.CreateNotionPage, NotionEndpoints.PagesCreate),
        ("attio", ProposalTypes.CreateAttioTask, AttioEndpoints.TasksCreate),

        // The writes issue 21 added.
        ("calendar", ProposalTypes.UpdateCalendarEvent, GoogleEndpoints.CalendarPatch),
        ("calendar", ProposalTypes.CancelCalendarEvent, GoogleEndpoints.CalendarDelete),
        ("calendar", ProposalTypes.RespondCalendarEvent, GoogleEndpoints.CalendarPatch),
        ("attio", ProposalTypes.CreateAttioRecord, AttioEndpoints.RecordsCreate),
        ("attio", ProposalTypes.CompleteAttioTask, AttioEndpoints.TasksUpdate),
        ("notion", ProposalTypes.ArchiveNotionPage, NotionEndpoints.PagesUpdate),
        ("notion", ProposalTypes.AppendNotionBlocks, NotionEndpoints.BlocksChildrenAppend),
    ];

    public static TheoryData<string, Fault> TransientCases()
    {
        var data = new TheoryData<string, Fault>();
        foreach (var w in Writes)
        {
            foreach (var fault in new[] { Fault.Timeout, Fault.ServerError, Fault.RateLimited })
            {
                data.Add(w.Type, fault);
            }
        }

        return data;
    }

    public static TheoryData<string> Types() => [.. Writes.Select(w => w.Type)];

    [Theory]
    [MemberData(nameof(TransientCases))]
    public async Task ApprovedWrite_TransientFault_IsRetried_AndHappensOnce(string type, Fault fault)
    {
        var (integration, _, endpoint) = Writes.Single(w => w.Type == type);
        using var alice = fixture.Tools.User(fixture.Alice);
        var payload = ProposalCases.Payload(fixture, type);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, type, payload);
        FaultHubFixture.Inject(fixture.Fake(integration), fault, endpoint);

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(2, done["attempts"]!.GetValue<int>());
        await ProposalCases.AssertEffectAsync(fixture, type, payload, done);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public async Task ApprovedWrite_MalformedAnswer_FailsTheProposal_SayingSo(string type)
    {
        var (integration, _, endpoint) = Writes.Single(w => w.Type == type);
        using var alice = fixture.Tools.User(fixture.Alice);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, type, ProposalCases.Payload(fixture, type));
        var fake = fixture.Fake(integration);
        FaultHubFixture.Inject(fake, Fault.MalformedJson, endpoint, count: ApprovalOrchestration.MaxAttempts);
        try
        {
            await ToolHub.DecideOkAsync(alice, id, "approve");
            var done = await ToolHub.WaitForFinalAsync(alice, id, TimeSpan.FromSeconds(60));

            Assert.True(ToolHub.Status(done) == ProposalStatus.Failed, done.ToJsonString());
            FaultHubFixture.AssertExplains(Fault.MalformedJson, done["error"]!.GetValue<string>());
            fixture.AssertNoSecret(done["error"]!.GetValue<string>());
        }
        finally
        {
            fake.ClearFailures();
        }
    }

    /// <summary>A 4xx is the service refusing this request: trying again cannot help, so the proposal fails at once, saying why.</summary>
    [Theory]
    [MemberData(nameof(Types))]
    public async Task ApprovedWrite_ClientError_FailsAtOnce_WithoutRetries_SayingWhy(string type)
    {
        var (integration, _, endpoint) = Writes.Single(w => w.Type == type);
        using var alice = fixture.Tools.User(fixture.Alice);
        var payload = ProposalCases.Payload(fixture, type);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, type, payload);
        var fake = fixture.Fake(integration);
        var callsBefore = fake.CallCount(endpoint);
        var said = $"The request is invalid ({Guid.NewGuid():N}).";
        fake.FailNext(1, 400, said, endpoint);

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Failed, done.ToJsonString());
        Assert.Equal(1, done["attempts"]!.GetValue<int>());
        var error = done["error"]!.GetValue<string>();
        Assert.Contains("400", error, StringComparison.Ordinal);
        Assert.Contains(said, error, StringComparison.Ordinal);
        FaultHubFixture.AssertClean(error);
        fixture.AssertNoSecret(error);
        Assert.Equal(callsBefore + 1, fake.CallCount(endpoint));

        // Nothing is lost: the proposal keeps what was asked, and the same action approved again goes through.
        Assert.Equal(payload.ToJsonString(), done["payload"]!.ToJsonString());
        var again = await ToolHub.ProposeAsync(alice, fixture.Alice, type, payload);
        await ToolHub.DecideOkAsync(alice, again, "approve");
        var retried = await ToolHub.WaitForFinalAsync(alice, again);
        Assert.True(ToolHub.Status(retried) == ProposalStatus.Succeeded, retried.ToJsonString());
        await ProposalCases.AssertEffectAsync(fixture, type, payload, retried);
    }

    /// <summary>All at once (the backoff takes 1 + 2 + 4 + 8 s): after the last attempt each proposal says why.</summary>
    [Fact]
    public async Task ApprovedWrite_ServerErrorEveryTime_FailsAfterTheLastAttempt_WithStatusAndMessage()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var proposals = new List<(string Integration, string Id)>();
        var callsBefore = Writes.Select(w => w.Endpoint).Distinct().ToDictionary(e => e, e => fixture.Fake(Writes.First(w => w.Endpoint == e).Integration).CallCount(e));
        foreach (var (integration, type, _) in Writes)
        {
            proposals.Add((integration, await ToolHub.ProposeAsync(alice, fixture.Alice, type, ProposalCases.Payload(fixture, type))));
        }

        foreach (var (integration, _, endpoint) in Writes.DistinctBy(w => w.Endpoint))
        {
            fixture.Fake(integration).FailAlways(503, $"{integration} is down for maintenance.", endpoint);
        }

        try
        {
            foreach (var (_, id) in proposals)
            {
                await ToolHub.DecideOkAsync(alice, id, "approve");
            }

            var list = new JsonArray();
            foreach (var (integration, id) in proposals)
            {
                var done = await ToolHub.WaitForFinalAsync(alice, id, TimeSpan.FromSeconds(90));
                Assert.True(ToolHub.Status(done) == ProposalStatus.Failed, done.ToJsonString());
                Assert.Equal(ApprovalOrchestration.MaxAttempts, done["attempts"]!.GetValue<int>());
                var error = done["error"]!.GetValue<string>();
                Assert.Contains("503", error, StringComparison.Ordinal);
                Assert.Contains($"{integration} is down for maintenance.", error, StringComparison.Ordinal);
                FaultHubFixture.AssertClean(error);
                fixture.AssertNoSecret(error);

                // The dashboard's list shows the outcome too.
                await ToolHub.WaitUntilAsync(
                    () => (list = alice.GetFromJsonAsync<JsonArray>($"/api/agents/{fixture.Alice}/proposals").GetAwaiter().GetResult()!)
                        .Any(p => p!["proposalId"]!.GetValue<string>() == id && p["status"]!.GetValue<string>() == ProposalStatus.Failed && p["outcome"]?.GetValue<string>() == error),
                    $"the failed {integration} proposal in the agent's list");
            }

            // Each proposal made exactly its five attempts (two types share Calendar's patch endpoint).
            foreach (var (endpoint, before) in callsBefore)
            {
                var w = Writes.Where(x => x.Endpoint == endpoint).ToList();
                Assert.Equal(before + (w.Count * ApprovalOrchestration.MaxAttempts), fixture.Fake(w[0].Integration).CallCount(endpoint));
            }
        }
        finally
        {
            foreach (var integration in Writes.Select(w => w.Integration).Distinct())
            {
                fixture.Fake(integration).ClearFailures();
            }
        }
    }
}
