using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Fakes.Notion;
using CompanyHub.Fakes.OpenAi;
using CompanyHub.Fakes.Telegram;
using CompanyHub.Functions;
using CompanyHub.Orchestrations.Approvals;
using CompanyHub.Security;

namespace CompanyHub.Tests;

/// <summary>A hub with the company bot pointed at a fake Bot API (long polling, as its public URL is http), Notion and the LLM at fakes.</summary>
public sealed class TelegramHubFixture : IAsyncLifetime
{
    public FakeTelegram Telegram { get; private set; } = null!;

    public FakeOpenAi Llm { get; private set; } = null!;

    public FakeNotion Notion { get; private set; } = null!;

    public HubServer Hub { get; private set; } = null!;

    public string WebhookSecret => new KeyRing(Convert.FromBase64String(Hub.MasterKey)).TelegramWebhookSecret;

    public async Task InitializeAsync()
    {
        Telegram = await FakeTelegram.StartAsync();
        Llm = await FakeOpenAi.StartAsync();
        Notion = await FakeNotion.StartAsync();
        Hub = await HubServer.StartAsync([.. Telegram.ConfigurationValues(), .. Notion.ConfigurationValues(), .. ToolHub.PersonLimitsLifted,
            new("REDPILL_API_KEY", "test-llm-key"), new("LLM_BASE_URL", Llm.BaseUrl), new("LLM_MODEL", "test-model")]);
    }

    public async Task DisposeAsync()
    {
        await Hub.DisposeAsync();
        await Telegram.DisposeAsync();
        await Llm.DisposeAsync();
        await Notion.DisposeAsync();
    }
}

/// <summary>The Telegram channel end to end: linking, chat, proposal buttons, unlinking, the webhook's secret, replays, polling, rate limits.</summary>
public sealed class TelegramHttpTests(TelegramHubFixture fixture) : IClassFixture<TelegramHubFixture>
{
    private static long _nextUser = 9_100_000;

    private FakeTelegram Telegram => fixture.Telegram;

    private HubServer Hub => fixture.Hub;

    [Fact]
    public async Task Link_WithTheDashboardCode_ThenChat_GoesToTheAgent_AndItsAnswerComesBack()
    {
        var (agentId, token) = await OnboardAsync();
        using var person = Hub.Http(token);
        var userId = NewUser();

        // The dashboard's code: a deep link to the bot, valid 15 minutes.
        using var made = await person.PostAsync($"/api/agents/{agentId}/channels/telegram", null);
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        var code = (await made.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal($"https://t.me/{FakeTelegram.BotUsername}?start={code["code"]}", code["link"]!.GetValue<string>());
        Assert.InRange(code["expiresAt"]!.GetValue<DateTimeOffset>(), DateTimeOffset.UtcNow.AddMinutes(14), DateTimeOffset.UtcNow.AddMinutes(16));

        Assert.Equal(HttpStatusCode.OK, (await PostUpdateAsync(Telegram.TextUpdate(userId, "/start " + code["code"]))).StatusCode);
        await WaitForMessageAsync(userId, "Linked.");
        var status = (await person.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/channels/telegram"))!;
        Assert.True(status["linked"]!.GetValue<bool>());
        Assert.Equal($"user{userId}", status["username"]!.GetValue<string>());
        Assert.Contains(await HubFlows.AuditAsync(Hub, "telegram.linked", agentId), a => a["target"]!.GetValue<string>() == $"telegram:{userId}");

        // Single use: the same code from someone else links nothing.
        var stranger = NewUser();
        await PostUpdateAsync(Telegram.TextUpdate(stranger, "/start " + code["code"]));
        await WaitForMessageAsync(stranger, "unknown, used or expired");

        // Chat: the agent's conversation gets the text, and the model's answer comes back in the chat.
        var answer = $"Here is your answer {Guid.NewGuid():N}";
        fixture.Llm.Then(FakeOpenAi.Reply.Text(answer));
        var question = $"What is on today? {Guid.NewGuid():N}";
        await PostUpdateAsync(Telegram.TextUpdate(userId, question));
        await WaitForMessageAsync(userId, answer);
        var conversation = (await person.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/messages?top=500"))!["messages"]!.AsArray();
        Assert.Contains(conversation, m => m!["role"]!.GetValue<string>() == "user" && m["text"]!.GetValue<string>() == question);
        Assert.Contains(conversation, m => m!["role"]!.GetValue<string>() == "assistant" && m["text"]!.GetValue<string>() == answer);

        // The bot token is a secret: in no log line.
        Assert.DoesNotContain(Hub.Logs.Lines, l => l.Contains(Telegram.Token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProposalCard_ArrivesWithButtons_ApproveRunsIt_AndTheMessageShowsTheOutcome()
    {
        var (agentId, token, userId) = await LinkedAsync();
        using var person = Hub.Http(token);
        var title = $"From Telegram {Guid.NewGuid():N}";

        var id = await ProposeAsync(person, agentId, title);
        var card = await WaitForCardAsync(userId, id, revision: 1);
        Assert.Contains(title, card.Text, StringComparison.Ordinal);
        Assert.Equal(["✅ Approve", "✏️ Edit", "❌ Reject"], card.Buttons.Select(b => b.Text));

        var press = Telegram.ButtonUpdate(userId, card, card.Buttons[0].Data);
        Assert.Equal(HttpStatusCode.OK, (await PostUpdateAsync(press)).StatusCode);

        Assert.Equal(ProposalStatus.Succeeded, ToolHub.Status(await ToolHub.WaitForFinalAsync(person, id)));
        Assert.Contains(fixture.Notion.RequestsTo(NotionEndpoints.PagesCreate), r => r.Body.Contains(title, StringComparison.Ordinal));
        Assert.Contains(Telegram.CallbackAnswers, a => a.CallbackQueryId == press["callback_query"]!["id"]!.GetValue<string>() && a.Text == "Approved.");
        await ToolHub.WaitUntilAsync(() => Telegram.Edits.Any(e => e.MessageId == card.MessageId && e.Text.Contains("Approved by you", StringComparison.Ordinal) && e.Buttons.Count == 0), "the card's message to show the approval");
        var decided = await ToolHub.GetProposalAsync(person, id);
        Assert.Equal($"user:{agentId}", decided["decidedBy"]!.GetValue<string>());
    }

    [Fact]
    public async Task AButtonOfAnOlderRevision_IsRefused_ThenEditByReply_MakesANewRevision()
    {
        var (agentId, token, userId) = await LinkedAsync();
        using var person = Hub.Http(token);
        var id = await ProposeAsync(person, agentId, $"Stale {Guid.NewGuid():N}");
        var first = await WaitForCardAsync(userId, id, revision: 1);

        // The person edits on the dashboard: revision 2 comes as a new card.
        await ToolHub.DecideOkAsync(person, id, "edit", new JsonObject { ["title"] = "Edited on the dashboard" }, revision: 1);
        var second = await WaitForCardAsync(userId, id, revision: 2);
        Assert.Contains("Edited on the dashboard", second.Text, StringComparison.Ordinal);

        // Approve on the old card: refused as on the dashboard, nothing runs.
        var stale = Telegram.ButtonUpdate(userId, first, first.Buttons[0].Data);
        await PostUpdateAsync(stale);
        var refusal = Assert.Single(Telegram.CallbackAnswers, a => a.CallbackQueryId == stale["callback_query"]!["id"]!.GetValue<string>());
        Assert.Contains("at revision 2 now, not 1", refusal.Text, StringComparison.Ordinal);
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(await ToolHub.GetProposalAsync(person, id)));

        // Edit on the current card: the bot asks for the new text of the main field; the reply makes revision 3.
        await PostUpdateAsync(Telegram.ButtonUpdate(userId, second, second.Buttons[1].Data));
        await WaitForMessageAsync(userId, $"Reply with the new text for content of proposal {id}");
        var content = $"New content from Telegram {Guid.NewGuid():N}";
        await PostUpdateAsync(Telegram.TextUpdate(userId, content));
        var third = await WaitForCardAsync(userId, id, revision: 3);
        Assert.Contains(content, third.Text, StringComparison.Ordinal);
        var now = await ToolHub.GetProposalAsync(person, id);
        Assert.Equal(3, now["revision"]!.GetValue<int>());
        Assert.Equal(content, now["payload"]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unlink_FromTheDashboard_ThenTheChatIsRefused_AndSlashUnlinkWorksToo()
    {
        var (agentId, token, userId) = await LinkedAsync();
        using var person = Hub.Http(token);

        using var unlinked = await person.DeleteAsync($"/api/agents/{agentId}/channels/telegram");
        Assert.Equal(HttpStatusCode.OK, unlinked.StatusCode);
        Assert.True((await unlinked.Content.ReadFromJsonAsync<JsonObject>())!["unlinked"]!.GetValue<bool>());
        Assert.False((await person.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/channels/telegram"))!["linked"]!.GetValue<bool>());
        Assert.Contains(await HubFlows.AuditAsync(Hub, "telegram.unlinked", agentId), a => a["target"]!.GetValue<string>() == $"telegram:{userId}");

        var llmCalls = fixture.Llm.Requests.Count;
        var text = $"Are you there? {Guid.NewGuid():N}";
        await PostUpdateAsync(Telegram.TextUpdate(userId, text));
        await WaitForMessageAsync(userId, TelegramChannel.Refusal);
        var conversation = (await person.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/messages?top=500"))!["messages"]!.AsArray();
        Assert.DoesNotContain(conversation, m => m!["text"]!.GetValue<string>() == text);
        Assert.Equal(llmCalls, fixture.Llm.Requests.Count);

        // Linked again, then /unlink from Telegram.
        var again = NewUser();
        await LinkAsync(person, agentId, again);
        await PostUpdateAsync(Telegram.TextUpdate(again, "/unlink"));
        await WaitForMessageAsync(again, "Unlinked.");
        Assert.False((await person.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/channels/telegram"))!["linked"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Webhook_WithoutOrWithAWrongSecret_Is401_AndNothingHappens()
    {
        var userId = NewUser();
        var update = Telegram.TextUpdate(userId, "/start whatever");

        using var missing = await PostUpdateAsync(update, secret: null);
        Assert.Contains("X-Telegram-Bot-Api-Secret-Token", await HubFlows.AssertProblemAsync(missing, HttpStatusCode.Unauthorized), StringComparison.Ordinal);
        using var wrong = await PostUpdateAsync(update, secret: fixture.WebhookSecret[..^2] + "xx");
        await HubFlows.AssertProblemAsync(wrong, HttpStatusCode.Unauthorized);

        // Nothing was recorded of it: the same update with the right secret is still new, and answered once.
        using var right = await PostUpdateAsync(update);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        await WaitForMessageAsync(userId, "unknown, used or expired");
        Assert.Single(Telegram.SentTo(userId));
    }

    [Fact]
    public async Task AReplayedUpdateId_IsIgnored()
    {
        var (agentId, token, userId) = await LinkedAsync();
        using var person = Hub.Http(token);
        var text = $"Only once {Guid.NewGuid():N}";
        var update = Telegram.TextUpdate(userId, text);

        Assert.Equal(HttpStatusCode.OK, (await PostUpdateAsync(update)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await PostUpdateAsync(update)).StatusCode);

        // A later message is answered after anything the replay could have queued (an agent's turns run in order).
        var later = $"And then {Guid.NewGuid():N}";
        var answer = $"Answer to the later one {Guid.NewGuid():N}";
        var before = fixture.Llm.Default;
        fixture.Llm.Default = request => FakeOpenAi.Reply.Text(request.ToJsonString().Contains(later, StringComparison.Ordinal) ? answer : "(reply)");
        try
        {
            await PostUpdateAsync(Telegram.TextUpdate(userId, later));
            await WaitForMessageAsync(userId, answer);
        }
        finally
        {
            fixture.Llm.Default = before;
        }

        var conversation = (await person.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/messages?top=500"))!["messages"]!.AsArray();
        Assert.Single(conversation, m => m!["role"]!.GetValue<string>() == "user" && m["text"]!.GetValue<string>() == text);
    }

    [Fact]
    public async Task LongPolling_DeliversUpdates_WhenTheHubIsNotReachable()
    {
        // The hub's public URL is http: no webhook was set (removed instead), and updates come from getUpdates.
        await ToolHub.WaitUntilAsync(() => Telegram.Webhook is not null, "the bot's start-up setWebhook");
        Assert.Equal("", Telegram.Webhook!.Value.Url);
        var (agentId, token) = await OnboardAsync();
        using var person = Hub.Http(token);
        var userId = NewUser();
        using var made = await person.PostAsync($"/api/agents/{agentId}/channels/telegram", null);
        var code = (await made.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>();

        Telegram.Enqueue(Telegram.TextUpdate(userId, "/start " + code));

        await WaitForMessageAsync(userId, "Linked.");
        Assert.True((await person.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/channels/telegram"))!["linked"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A429_IsRetriedAfterTheRetryAfterTelegramAskedFor()
    {
        var userId = NewUser();
        var times = new System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset>();
        Telegram.BeforeAnswer = r =>
        {
            if (r.Endpoint == "sendMessage" && r.Json()?["chat_id"]?.GetValue<long>() == userId)
            {
                times.Enqueue(DateTimeOffset.UtcNow);
            }

            return Task.CompletedTask;
        };
        try
        {
            Telegram.RateLimitNextInBody(1, retryAfterSeconds: 3, "sendMessage");
            await PostUpdateAsync(Telegram.TextUpdate(userId, "hello?"));

            await WaitForMessageAsync(userId, TelegramChannel.Refusal);
            var attempts = times.ToArray();
            Assert.Equal(2, attempts.Length);

            // The second try waited for retry_after (3 s), not the 1 s backoff of a first retry.
            Assert.True(attempts[1] - attempts[0] >= TimeSpan.FromSeconds(2.9), $"retried after {(attempts[1] - attempts[0]).TotalSeconds:0.00} s");
            Assert.Single(Telegram.SentTo(userId));
        }
        finally
        {
            Telegram.BeforeAnswer = null;
        }
    }

    [Fact]
    public async Task AHubWithAnHttpsPublicUrl_SetsTheWebhook_WithTheSecretDerivedFromTheMasterKey()
    {
        await using var telegram = await FakeTelegram.StartAsync();
        await using var hub = await HubServer.StartAsync([.. telegram.ConfigurationValues(), new("PUBLIC_BASE_URL", "https://hub.example.com")]);

        await ToolHub.WaitUntilAsync(() => telegram.Webhook is not null, "the bot's start-up setWebhook");

        Assert.Equal("https://hub.example.com/api/channels/telegram/webhook", telegram.Webhook!.Value.Url);
        Assert.Equal(new KeyRing(Convert.FromBase64String(hub.MasterKey)).TelegramWebhookSecret, telegram.Webhook.Value.Secret);
        Assert.Equal(0, telegram.CallCount("getUpdates"));
    }

    [Fact]
    public async Task ALinkedChat_GetsTheCard_ThenTheDailyReminder_AndTheExpiryNotice_NotASecondNoticeOfTheCard()
    {
        await using var telegram = await FakeTelegram.StartAsync();
        await using var hub = await HubServer.StartAsync([.. telegram.ConfigurationValues(), .. fixture.Notion.ConfigurationValues(),
            new("Notifications:BatchSeconds", "1"), new("Approvals:ExpiryDays", (11 / 86400.0).ToString("R", CultureInfo.InvariantCulture)),
            new("Notifications:ReminderHours", (6 / 3600.0).ToString("R", CultureInfo.InvariantCulture))]);
        var (agentId, token) = await HubFlows.OnboardWithDevSignInAsync(hub, "tgnotice@company.com", "Tg Notice");
        using var person = hub.Http(token);
        var userId = NewUser();
        await LinkAsync(person, agentId, userId, hub, telegram);

        var proposalId = await ToolHub.ProposeAsync(person, agentId, ProposalTypes.CreateNotionPage, new JsonObject
        {
            ["parentPageId"] = fixture.Notion.AddPage(null, "Team Wiki", "Welcome."),
            ["title"] = "Offsite agenda",
        });

        await WaitForMessageAsync(userId, $"(proposal {proposalId}, revision 1)", telegram);
        await WaitForMessageAsync(userId, "Still waiting for your decision:", telegram);
        await WaitForMessageAsync(userId, "expired without a decision", telegram);
        var texts = telegram.SentTo(userId).Select(m => m.Text).ToList();
        Assert.DoesNotContain(texts, t => t.Contains("waits for your decision:", StringComparison.Ordinal));
        Assert.All(texts.Where(t => t.Contains("Offsite agenda", StringComparison.Ordinal)), t => Assert.DoesNotContain(token, t, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(10_000, '\n')]
    [InlineData(9_000, ' ')]
    [InlineData(5_000, 'x')]
    public void LongTexts_AreSplitAtTelegramsLimit_KeepingEveryCharacter(int length, char separator)
    {
        var words = string.Concat(Enumerable.Range(0, length).Select(i => i % 50 == 49 ? separator : (char)('a' + (i % 26))));

        var parts = Integrations.Telegram.TelegramText.Split(words);

        Assert.True(parts.Count >= 2);
        Assert.All(parts, p => Assert.InRange(p.Length, 1, Integrations.Telegram.TelegramText.MaxLength));
        Assert.Equal(words.Replace(separator.ToString(), "", StringComparison.Ordinal), string.Concat(parts).Replace(separator.ToString(), "", StringComparison.Ordinal));
    }

    private static long NewUser() => Interlocked.Increment(ref _nextUser);

    private async Task<(string AgentId, string Token)> OnboardAsync()
    {
        var name = $"tg{Guid.NewGuid():N}"[..12];
        return await HubFlows.OnboardWithDevSignInAsync(Hub, $"{name}@company.com", name);
    }

    private async Task<(string AgentId, string Token, long UserId)> LinkedAsync()
    {
        var (agentId, token) = await OnboardAsync();
        using var person = Hub.Http(token);
        var userId = NewUser();
        await LinkAsync(person, agentId, userId);
        return (agentId, token, userId);
    }

    private async Task LinkAsync(HttpClient person, string agentId, long userId, HubServer? hub = null, FakeTelegram? telegram = null)
    {
        using var made = await person.PostAsync($"/api/agents/{agentId}/channels/telegram", null);
        Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        var code = (await made.Content.ReadFromJsonAsync<JsonObject>())!["code"]!.GetValue<string>();
        await PostUpdateAsync((telegram ?? Telegram).TextUpdate(userId, "/start " + code), hub: hub);
        await WaitForMessageAsync(userId, "Linked.", telegram);
    }

    private async Task<string> ProposeAsync(HttpClient person, string agentId, string title) =>
        await ToolHub.ProposeAsync(person, agentId, ProposalTypes.CreateNotionPage, new JsonObject
        {
            ["parentPageId"] = fixture.Notion.AddPage(null, "Team Wiki", "Welcome."),
            ["title"] = title,
            ["content"] = "Written from a test.",
        });

    private async Task<HttpResponseMessage> PostUpdateAsync(JsonObject update, string? secret = "", HubServer? hub = null)
    {
        hub ??= Hub;
        using var http = hub.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/telegram/webhook") { Content = JsonContent.Create(update) };
        if (secret is not null)
        {
            request.Headers.Add(TelegramFunctions.SecretHeader, secret.Length == 0 ? new KeyRing(Convert.FromBase64String(hub.MasterKey)).TelegramWebhookSecret : secret);
        }

        return await http.SendAsync(request);
    }

    private Task WaitForMessageAsync(long chatId, string contains, FakeTelegram? telegram = null)
    {
        telegram ??= Telegram;
        return ToolHub.WaitUntilAsync(() => telegram.SentTo(chatId).Any(m => m.Text.Contains(contains, StringComparison.Ordinal)),
            $"a Telegram message to {chatId} containing \"{contains}\"; sent: {string.Join(" | ", telegram.SentTo(chatId).Select(m => m.Text))}");
    }

    private async Task<FakeTelegramMessage> WaitForCardAsync(long chatId, string proposalId, int revision)
    {
        var marker = $"(proposal {proposalId}, revision {revision})";
        await WaitForMessageAsync(chatId, marker);
        return Telegram.SentTo(chatId).Single(m => m.Text.Contains(marker, StringComparison.Ordinal));
    }
}
