using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Activities;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Google;
using CompanyHub.Fakes.Notion;
using CompanyHub.Orchestrations.Approvals;
using Serverless.DurableTask;

namespace CompanyHub.Tests;

/// <summary>
/// A product flow for the crash tests: what it needs first (<see cref="Setup"/>), the request that starts it
/// (<see cref="Act"/>; the hub may die while it runs), and what must hold once the restarted hub has finished it
/// (<see cref="Verify"/>, given the crash point). <see cref="Site"/> is the activity whose run, or whose scheduling
/// step, the crash point is narrowed to: the one that reaches the outside world.
/// </summary>
public sealed record ProductFlow(string Name, string? Site, Func<CrashRun, Task> Setup, Func<CrashRun, Task> Act, Func<CrashRun, string, Task> Verify)
{
    /// <summary>Gets the hub settings the flow needs besides the fakes' (none by default).</summary>
    public Func<IEnumerable<KeyValuePair<string, string?>>> Settings { get; init; } = () => [];

    public override string ToString() => Name;
}

/// <summary>The flows of the product that the crash tests drive.</summary>
public static class ProductFlows
{
    private const string Alice = "alice@company.com";
    private const string Bob = "bob@company.com";
    private const string AliceId = "alice-company-com";
    private const string BobId = "bob-company-com";
    private const string Sender = "admin@company.com";

    /// <summary>Admin invite emailed by the connected sender, Google sign-in, agent created, dashboard link emailed.</summary>
    public static readonly ProductFlow Onboarding = new("onboarding", SendReadyEmail.Name, ConnectSenderAsync, InviteAndSignInAsync, VerifyOnboardingAsync);

    public static readonly IReadOnlyList<ProductFlow> All =
    [
        Onboarding,
        Approval(ProposalTypes.SendEmail, ExecuteProposalAction.Name, run => Task.FromResult(new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = $"Contract {run.State["tag"]}", ["body"] = "Signed copy attached." }), VerifyEmailAsync),
        Approval(ProposalTypes.CreateCalendarEvent, ExecuteProposalAction.Name, run => Task.FromResult(new JsonObject { ["summary"] = $"Acme sync {run.State["tag"]}", ["start"] = "2030-03-01T10:00:00Z", ["end"] = "2030-03-01T11:00:00Z" }), VerifyCalendarAsync),
        Approval(ProposalTypes.CreateNotionPage, ExecuteProposalAction.Name, run => Task.FromResult(new JsonObject { ["parentPageId"] = run.Notion.AddPage(null, "Team Wiki", "Welcome."), ["title"] = $"Notes {run.State["tag"]}", ["content"] = "Decisions:\n- ship it" }), VerifyNotionAsync),
        Approval(ProposalTypes.UpdateAttioRecord, ExecuteProposalAction.Name, AttioPayloadAsync, VerifyAttioAsync),
        Approval(ProposalTypes.MessageAgent, EnsureMailbox.Name, async run => new JsonObject { ["agentId"] = await run.OnboardAsync(Bob, "Bob"), ["text"] = $"Status on Acme? {run.State["tag"]}" }, VerifyMessageAsync),
        new("agent-turn", CallLlm.Name, run => run.OnboardAsync(Alice, "Alice"), SendChatAsync, VerifyTurnAsync),
        new("broadcast", EnsureMailbox.Name, OnboardBothAsync, BroadcastAsync, VerifyBroadcastAsync),
        new("knowledge-sync", SyncKnowledgeBatch.Name, AddHandbookAsync, SyncKnowledgeAsync, VerifyKnowledgeSyncAsync),
    ];

    /// <summary>
    /// A backup on demand while Alice's email waits for approval, cut off during its upload: after the restart the bucket
    /// holds no half-uploaded snapshot, the next backup completes, and the waiting proposal still runs, once.
    /// </summary>
    public static readonly ProductFlow Backup = new("backup", null, ProposeEmailAsync, BackUpAsync, VerifyBackupAsync)
    {
        Settings = () => Backups.TestBucket.Settings(Backups.TestBucket.NewPrefix()),
    };

    public static ProductFlow ByName(string name) => All.Append(Backup).Single(f => f.Name == name);

    /// <summary>A Notion database of two pages, for the admin to sync into the knowledge base.</summary>
    private static Task AddHandbookAsync(CrashRun run)
    {
        run.State["tag"] = Guid.NewGuid().ToString("N")[..10];
        var handbook = run.Notion.AddDatabase("Handbook");
        run.Notion.AddDatabasePage(handbook.Id, "Holidays", null, $"Everyone gets 28 days of holiday a year {run.State["tag"]}.");
        run.Notion.AddDatabasePage(handbook.Id, "Travel", null, $"Book trains for trips under four hours {run.State["tag"]}.");
        run.State["database"] = handbook.Id;
        return Task.CompletedTask;
    }

    private static async Task SyncKnowledgeAsync(CrashRun run)
    {
        using var admin = run.Admin();
        using var response = await admin.PostAsJsonAsync("/api/admin/knowledge/sync", new { databaseId = run.State["database"] });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The sync resumed and completed: both pages in the base once (a repeated page of results changes nothing), both searchable.</summary>
    private static async Task VerifyKnowledgeSyncAsync(CrashRun run, string point)
    {
        JsonNode status = new JsonObject();
        await run.WaitUntilAsync(async () => (status = await run.GetAsync($"/api/admin/knowledge/sync/{run.State["database"]}"))["status"]!.GetValue<string>() != "running", "the knowledge sync to end");
        Assert.True(status["status"]!.GetValue<string>() == "completed", status.ToJsonString());
        Assert.Equal(2, status["seen"]!.GetValue<int>());
        Assert.Equal(2, status["added"]!.GetValue<int>() + status["unchanged"]!.GetValue<int>());
        Assert.Equal(["Holidays", "Travel"], (await run.GetAsync("/api/admin/knowledge")).AsArray().Select(p => p!["title"]!.GetValue<string>()));
        Assert.Equal(2, (await run.GetAsync($"/api/admin/knowledge?q={run.State["tag"]}")).AsArray().Count);
    }

    private static async Task ProposeEmailAsync(CrashRun run)
    {
        run.State["tag"] = Guid.NewGuid().ToString("N")[..10];
        await run.OnboardAsync(Alice, "Alice");
        using var alice = run.User(AliceId);
        var id = await ToolHub.ProposeAsync(alice, AliceId, ProposalTypes.SendEmail, new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = $"Contract {run.State["tag"]}", ["body"] = "Signed copy attached." });
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        run.State["proposal"] = id;
    }

    private static async Task BackUpAsync(CrashRun run)
    {
        using var admin = run.Admin();
        using var response = await admin.PostAsync("/api/admin/backups", null);
    }

    private static async Task VerifyBackupAsync(CrashRun run, string point)
    {
        var prefix = run.Setting("S3_PREFIX");
        Assert.Empty(await Backups.TestBucket.KeysAsync(prefix));
        using (var admin = run.Admin())
        {
            using var response = await admin.PostAsync("/api/admin/backups", null);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }

        Assert.Single(await Backups.TestBucket.KeysAsync(prefix));
        using var alice = run.User(AliceId);
        await ToolHub.DecideOkAsync(alice, run.State["proposal"], "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, run.State["proposal"]);
        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Single(run.Google.SentEmails, m => m.Subject == $"Contract {run.State["tag"]}");
    }

    /// <summary>Alice proposes <paramref name="type"/> (Bob too is onboarded for a message) and approves it.</summary>
    private static ProductFlow Approval(string type, string site, Func<CrashRun, Task<JsonObject>> payload, Func<CrashRun, string, JsonObject, Task> verify) => new(
        $"approve-{type}",
        site,
        async run =>
        {
            run.State["tag"] = Guid.NewGuid().ToString("N")[..10];
            await run.OnboardAsync(Alice, "Alice");
            var p = await payload(run);
            run.State["payload"] = p.ToJsonString();
            using var alice = run.User(AliceId);
            var id = await ToolHub.ProposeAsync(alice, AliceId, type, p);
            await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
            run.State["proposal"] = id;
        },
        async run =>
        {
            using var alice = run.User(AliceId);
            await ToolHub.DecideAsync(alice, run.State["proposal"], "approve");
        },
        async (run, point) =>
        {
            using var alice = run.User(AliceId);
            var done = await ToolHub.WaitForFinalAsync(alice, run.State["proposal"]);
            Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
            await verify(run, point, JsonNode.Parse(run.State["payload"])!.AsObject());
        });

    /// <summary>How often a tool without an idempotency key is called: once, or twice when the hub died after the call and before its result was committed (docs/approvals.md).</summary>
    private static int CallsWithoutIdempotencyKey(string point) => point == CrashPoints.AfterActivityBeforeCommit ? 2 : 1;

    private static Task VerifyEmailAsync(CrashRun run, string point, JsonObject p)
    {
        // Exactly once at every point: the repeat finds the first send by its Message-ID.
        Assert.Single(run.Google.SentEmails, m => m.Subject == p["subject"]!.GetValue<string>());
        Assert.Equal(1, run.Google.CallCount(GoogleEndpoints.GmailSend));
        return Task.CompletedTask;
    }

    private static Task VerifyCalendarAsync(CrashRun run, string point, JsonObject p)
    {
        // Exactly once: a repeat asks for the same event id and is refused.
        Assert.Single(run.Google.Account(Alice).Events, e => e["summary"]!.GetValue<string>() == p["summary"]!.GetValue<string>());
        return Task.CompletedTask;
    }

    private static Task VerifyNotionAsync(CrashRun run, string point, JsonObject p)
    {
        // Notion has no idempotency key: the page is created again when the hub died after creating it.
        Assert.Equal(CallsWithoutIdempotencyKey(point), run.Notion.CallCount(NotionEndpoints.PagesCreate));
        return Task.CompletedTask;
    }

    private static Task<JsonObject> AttioPayloadAsync(CrashRun run)
    {
        var person = run.Attio.AddRecord("people", new JsonObject { ["name"] = new JsonArray(new JsonObject { ["first_name"] = "Sarah", ["last_name"] = "Client", ["full_name"] = "Sarah Client" }), ["job_title"] = "Engineer" });
        return Task.FromResult(new JsonObject { ["object"] = "people", ["recordId"] = person, ["values"] = new JsonObject { ["job_title"] = $"CTO {run.State["tag"]}" } });
    }

    private static Task VerifyAttioAsync(CrashRun run, string point, JsonObject p)
    {
        // An update sets the same values again: repeated like every Attio write, with the same end state.
        Assert.Equal(CallsWithoutIdempotencyKey(point), run.Attio.CallCount(AttioEndpoints.RecordsUpdate));
        var record = run.Attio.GetRecord("people", p["recordId"]!.GetValue<string>())!;
        Assert.Equal(p["values"]!["job_title"]!.GetValue<string>(), record["values"]!["job_title"]![0]!["value"]!.GetValue<string>());
        return Task.CompletedTask;
    }

    private static async Task VerifyMessageAsync(CrashRun run, string point, JsonObject p)
    {
        var text = p["text"]!.GetValue<string>();
        var proposal = run.State["proposal"];

        // Bob's agent answers once; the answer reaches Alice when Bob approves it.
        using var bob = run.User(BobId);
        JsonArray bobProposals = [];
        await run.WaitUntilAsync(async () => (bobProposals = (await run.GetAsync($"/api/agents/{BobId}/proposals")).AsArray()).Any(x => x!["type"]!.GetValue<string>() == ProposalTypes.ReplyAgent), "Bob's agent to propose its answer");
        var reply = Assert.Single(bobProposals, x => x!["type"]!.GetValue<string>() == ProposalTypes.ReplyAgent)!["proposalId"]!.GetValue<string>();
        await ToolHub.DecideOkAsync(bob, reply, "approve");
        JsonArray aliceInbox = [];
        await run.WaitUntilAsync(async () => (aliceInbox = (await run.GetAsync($"/api/agents/{AliceId}/inbox")).AsArray()).Any(m => m!["inReplyTo"]?.GetValue<string>() == proposal), "Bob's agent to answer into Alice's inbox");
        Assert.Single(aliceInbox, m => m!["inReplyTo"]?.GetValue<string>() == proposal);
        var bobInbox = (await run.GetAsync($"/api/agents/{BobId}/inbox")).AsArray();
        Assert.Single(bobInbox, m => m!["text"]!.GetValue<string>() == text);
        await AssertOneTurnAsync(run, BobId, $"{proposal}-reply");
    }

    private static async Task ConnectSenderAsync(CrashRun run)
    {
        run.Google.AddAccount(Sender, "Ada Admin");
        run.Google.AddAccount(Alice, "Alice");
        using var browser = run.Hub.Http(run.Hub.AdminToken, new CookieContainer());
        using var start = await browser.GetAsync("/oauth/google/connect-sender");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        run.Google.ConsentAccount = Sender;
        var callback = await run.Google.AuthorizeAsync(start.Headers.Location!);
        run.Google.ConsentAccount = null;
        using var page = await browser.GetAsync(callback.PathAndQuery);
        Assert.True(page.StatusCode == HttpStatusCode.OK, await page.Content.ReadAsStringAsync());
    }

    private static async Task InviteAndSignInAsync(CrashRun run)
    {
        using var admin = run.Admin();
        using var invited = await admin.PostAsJsonAsync("/api/admin/onboardings", new { email = Alice, name = "Alice" });
        var body = await invited.Content.ReadAsStringAsync();
        Assert.True(invited.StatusCode == HttpStatusCode.Accepted, body);
        run.State["onboarding"] = JsonNode.Parse(body)!["onboardingId"]!.GetValue<string>();
        await run.WaitUntilAsync(() => Task.FromResult(Invites(run).Count > 0), "the invite email");
        var code = GoogleHub.InviteCodeIn(Invites(run)[0].Body);
        using var browser = run.Hub.Http(cookies: new CookieContainer());
        using var start = await browser.GetAsync($"/oauth/google/start?invite={Uri.EscapeDataString(code)}");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        var callback = await run.Google.AuthorizeAsync(start.Headers.Location!);
        using var page = await browser.GetAsync(callback.PathAndQuery);
    }

    private static async Task VerifyOnboardingAsync(CrashRun run, string point)
    {
        var id = run.State["onboarding"];
        await run.WaitUntilAsync(async () => (await run.GetAsync("/api/admin/onboardings")).AsArray().Any(o => o!["onboardingId"]!.GetValue<string>() == id && o["step"]!.GetValue<string>() == "Active"), $"onboarding {id} to become active");
        Assert.Single(Invites(run));
        var ready = Assert.Single(run.Google.SentEmails, m => m.To.Contains(Alice) && m.Body.Contains("/?token=", StringComparison.Ordinal));
        using var alice = run.Hub.Http(GoogleHub.TokenIn(ready.Body));
        Assert.Equal(AliceId, (await alice.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>());
        var agents = (await run.GetAsync("/api/agents")).AsArray();
        Assert.Single(agents, a => a!["agentId"]!.GetValue<string>() == AliceId);
    }

    private static List<RecordedEmail> Invites(CrashRun run) =>
        [.. run.Google.SentEmails.Where(m => m.To.Contains(Alice) && m.Subject!.Contains("invitation", StringComparison.OrdinalIgnoreCase))];

    private static async Task SendChatAsync(CrashRun run)
    {
        run.State["tag"] = Guid.NewGuid().ToString("N")[..10];
        using var alice = run.User(AliceId);
        using var sent = await alice.PostAsJsonAsync($"/api/agents/{AliceId}/messages", new { text = $"What is on today? {run.State["tag"]}" });
        var body = await sent.Content.ReadAsStringAsync();
        Assert.True(sent.StatusCode == HttpStatusCode.Accepted, body);
        run.State["turn"] = JsonNode.Parse(body)!["turnId"]!.GetValue<string>();
    }

    private static async Task VerifyTurnAsync(CrashRun run, string point)
    {
        await AssertOneTurnAsync(run, AliceId, run.State["turn"]);
        // The model is asked again when the hub died after its answer and before the answer was committed: a read.
        var asked = run.Llm.Requests.Count(r => r.ToJsonString().Contains(run.State["tag"], StringComparison.Ordinal));
        Assert.Equal(point == CrashPoints.AfterActivityBeforeCommit ? 2 : 1, asked);
    }

    private static async Task OnboardBothAsync(CrashRun run)
    {
        await run.OnboardAsync(Alice, "Alice");
        await run.OnboardAsync(Bob, "Bob");
    }

    private static async Task BroadcastAsync(CrashRun run)
    {
        run.State["tag"] = Guid.NewGuid().ToString("N")[..10];
        using var admin = run.Admin();
        using var sent = await admin.PostAsJsonAsync("/api/admin/broadcast", new { text = $"Office closed Friday {run.State["tag"]}" });
        var body = await sent.Content.ReadAsStringAsync();
        Assert.True(sent.StatusCode == HttpStatusCode.Accepted, body);
        run.State["broadcast"] = JsonNode.Parse(body)!["broadcastId"]!.GetValue<string>();
    }

    private static async Task VerifyBroadcastAsync(CrashRun run, string point)
    {
        foreach (var agentId in new[] { AliceId, BobId })
        {
            await AssertOneTurnAsync(run, agentId, $"{run.State["broadcast"]}-{agentId}");
            var inbox = (await run.GetAsync($"/api/agents/{agentId}/inbox")).AsArray();
            Assert.Single(inbox, m => m!["text"]!.GetValue<string>().Contains(run.State["tag"], StringComparison.Ordinal));
        }
    }

    /// <summary>The turn finished and left exactly its incoming message and one answer in the agent's conversation.</summary>
    private static async Task AssertOneTurnAsync(CrashRun run, string agentId, string turnId)
    {
        List<JsonNode> turn = [];
        await run.WaitUntilAsync(
            async () => (turn = [.. (await run.GetAsync($"/api/agents/{agentId}/messages?top=500"))["messages"]!.AsArray().Where(m => m!["turnId"]?.GetValue<string>() == turnId).Select(m => m!)]).Any(m => m["role"]!.GetValue<string>() == "assistant"),
            $"turn {turnId} of {agentId} to answer");
        Assert.Equal(2, turn.Count);
        Assert.Equal("assistant", turn[1]["role"]!.GetValue<string>());
    }
}
