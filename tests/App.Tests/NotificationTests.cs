using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CompanyHub.Entities;
using CompanyHub.Fakes.Google;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// A hub whose sender mailbox is connected (fake Gmail), with people onboarded from their invite emails. Proposals
/// wait the usual 7 days; the notifier collects for <see cref="Window"/> before it sends.
/// </summary>
public class NotificationHubFixture : IAsyncLifetime
{
    public static readonly string[] People = ["alice@company.com", "bob@company.com", "carol@company.com", "dave@company.com", "erin@company.com"];

    private readonly Dictionary<string, (string AgentId, string Token)> _people = [];

    public GoogleHub Hub { get; private set; } = null!;

    /// <summary>Gets the batch window: long enough that proposals made one after the other by a test fall into one batch.</summary>
    public virtual TimeSpan Window => TimeSpan.FromSeconds(10);

    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("Notifications:BatchSeconds", Window.TotalSeconds.ToString("R", CultureInfo.InvariantCulture))];

    public async Task InitializeAsync()
    {
        Hub = await GoogleHub.StartAsync([.. ToolHub.PersonLimitsLifted, .. Settings], People);
        await Hub.ConnectSenderAsync();
        foreach (var email in People)
        {
            var token = await Hub.OnboardAsync(email, email[..email.IndexOf('@', StringComparison.Ordinal)]);
            using var http = Hub.Hub.Http(token);
            _people[email] = ((await http.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>(), token);
        }
    }

    public async Task DisposeAsync() => await Hub.DisposeAsync();

    public string AgentId(string email) => _people[email].AgentId;

    public string Token(string email) => _people[email].Token;

    public HttpClient User(string email) => Hub.Hub.Http(Token(email));
}

/// <summary>A hub where proposals expire after 11 seconds and are recalled every 6 (one reminder each), sent after a 1-second window.</summary>
public sealed class ReminderHubFixture : NotificationHubFixture
{
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(11);

    public static readonly TimeSpan Reminder = TimeSpan.FromSeconds(6);

    public override TimeSpan Window => TimeSpan.FromSeconds(1);

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        .. base.Settings,
        new("Approvals:ExpiryDays", Expiry.TotalDays.ToString("R", CultureInfo.InvariantCulture)),
        new("Notifications:ReminderHours", Reminder.TotalHours.ToString("R", CultureInfo.InvariantCulture)),
    ];
}

/// <summary>A waiting proposal's person is told by email from the sender mailbox: once, batched, with a link and no token; their settings are honoured.</summary>
public sealed class NotificationTests(NotificationHubFixture fixture) : IClassFixture<NotificationHubFixture>
{
    [Fact]
    public async Task WaitingProposal_IsEmailedOnce_FromTheSender_WithALinkToTheCard_AndNoToken()
    {
        const string person = "alice@company.com";
        using var alice = fixture.User(person);
        var agentId = fixture.AgentId(person);
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, Payload("Quarterly numbers"));

        await WaitForAuditAsync(alice, agentId, "notification.sent");
        var mail = Assert.Single(Notifications(fixture.Hub, person));
        Assert.Equal(GoogleHub.AdminEmail, mail.From);
        Assert.Equal([person], mail.To);
        Assert.Contains("Waiting for your decision", mail.Subject, StringComparison.Ordinal);
        Assert.Contains("Email to sarah@acme.com: Quarterly numbers", mail.Subject, StringComparison.Ordinal);
        Assert.Contains($"{fixture.Hub.Hub.BaseUrl}/?proposal={id}", mail.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Token(person), mail.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain("token=", mail.Raw, StringComparison.OrdinalIgnoreCase);
        // Nothing of the proposal that the card's title does not show (the email's body stays on the dashboard).
        Assert.DoesNotContain("following up on our call", mail.Body, StringComparison.Ordinal);

        var sent = Assert.Single(await AuditAsync(alice, agentId, "notification.sent"));
        Assert.StartsWith($"notify-{agentId}-", sent!["target"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(id, sent["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThreeProposalsTogether_OneEmailListsThemAll()
    {
        const string person = "bob@company.com";
        using var bob = fixture.User(person);
        var agentId = fixture.AgentId(person);
        var ids = new List<string>();
        foreach (var subject in new[] { "First", "Second", "Third" })
        {
            ids.Add(await ToolHub.ProposeAsync(bob, agentId, ProposalTypes.SendEmail, Payload(subject)));
        }

        await WaitForAuditAsync(bob, agentId, "notification.sent");
        var mail = Assert.Single(Notifications(fixture.Hub, person));
        Assert.Contains("3 proposals wait for your decision", mail.Subject, StringComparison.Ordinal);
        foreach (var id in ids)
        {
            Assert.Contains($"/?proposal={id}", mail.Body, StringComparison.Ordinal);
        }

        Assert.Single(await AuditAsync(bob, agentId, "notification.sent"));
    }

    [Fact]
    public async Task EmailOff_NothingIsSent_AndTheAuditSaysWhy()
    {
        const string person = "carol@company.com";
        using var carol = fixture.User(person);
        var agentId = fixture.AgentId(person);
        var settings = await PutSettingsAsync(carol, agentId, new JsonObject { ["email"] = false });
        Assert.False(settings["email"]!.GetValue<bool>());
        Assert.True(settings["channels"]!["email"]!["available"]!.GetValue<bool>());
        Assert.False((await carol.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/notifications"))!["email"]!.GetValue<bool>());

        await ToolHub.ProposeAsync(carol, agentId, ProposalTypes.SendEmail, Payload("Not to be announced"));

        var skipped = Assert.Single(await WaitForEmailAuditAsync(carol, agentId, "notification.skipped"));
        Assert.Contains("off", skipped!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(Notifications(fixture.Hub, person));
        Assert.Empty(await AuditAsync(carol, agentId, "notification.sent"));
    }

    [Fact]
    public async Task ProposalDecidedWithinTheWindow_IsNotAnnounced()
    {
        const string person = "dave@company.com";
        using var dave = fixture.User(person);
        var agentId = fixture.AgentId(person);
        var id = await ToolHub.ProposeAsync(dave, agentId, ProposalTypes.SendEmail, Payload("Decided at once"));
        await ToolHub.DecideOkAsync(dave, id, ApprovalDecision.Reject, reason: "not now");
        await ToolHub.WaitForFinalAsync(dave, id);

        // The decision reaches the notifier before the window ends: the batch loses its only item, nothing is sent and
        // nothing will be recalled.
        NotifierState? notifier = null;
        await ToolHub.WaitUntilAsync(() => (notifier = fixture.Hub.Hub.Client.Entities.GetEntityAsync<NotifierState>(NotifierEntity.Id(agentId)).GetAwaiter().GetResult()?.State) is { FlushAt: null, Pending.Count: 0 },
            "the batch window to end", TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(id, notifier!.Waiting.Keys);
        Assert.Equal(0, notifier.Batches);
        Assert.Empty(Notifications(fixture.Hub, person));
        Assert.Empty(await AuditAsync(dave, agentId, "notification."));
    }

    [Fact]
    public async Task Settings_RefuseBadInput_AndStayAsTheyWere()
    {
        const string person = "erin@company.com";
        using var erin = fixture.User(person);
        var agentId = fixture.AgentId(person);

        await AssertInvalidAsync(erin, agentId, new JsonObject { ["email"] = "yes" }, "email");
        await AssertInvalidAsync(erin, agentId, new JsonObject { ["fax"] = true }, "fax");
        await AssertInvalidAsync(erin, agentId, new JsonObject(), "body");
        using (var array = await erin.PutAsync($"/api/agents/{agentId}/notifications", new StringContent("[true]", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, array.StatusCode);
        }

        var now = (await erin.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/notifications"))!;
        Assert.True(now["email"]!.GetValue<bool>());
        Assert.True(now["reminders"]!.GetValue<bool>());

        // Another person's settings are not theirs to read or change.
        using var alice = fixture.User("alice@company.com");
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/api/agents/{agentId}/notifications")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.PutAsJsonAsync($"/api/agents/{agentId}/notifications", new { email = false })).StatusCode);
        Assert.True((await erin.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/notifications"))!["email"]!.GetValue<bool>());

        var changed = await PutSettingsAsync(erin, agentId, new JsonObject { ["reminders"] = false });
        Assert.False(changed["reminders"]!.GetValue<bool>());
        Assert.True(changed["email"]!.GetValue<bool>());
        Assert.Single(await AuditAsync(erin, agentId, "agent.notifications"));
    }

    /// <summary>With no sender mailbox connected, the settings say so and a waiting proposal sends nothing (audited as skipped, not an error).</summary>
    [Fact]
    public async Task NoSenderMailbox_SettingsSayWhy_AndNothingIsSent()
    {
        await using var tools = await ToolHub.StartAsync(Tools.Google, [new("Notifications:BatchSeconds", "0")]);
        var agentId = await tools.OnboardWithGoogleAsync("frank@company.com", "Frank");
        using var frank = tools.User(agentId);

        var settings = (await frank.GetFromJsonAsync<JsonObject>($"/api/agents/{agentId}/notifications"))!;
        Assert.True(settings["email"]!.GetValue<bool>());
        Assert.False(settings["channels"]!["email"]!["available"]!.GetValue<bool>());
        Assert.Contains("No sender mailbox", settings["channels"]!["email"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);

        await ToolHub.ProposeAsync(frank, agentId, ProposalTypes.SendEmail, Payload("No sender"));
        var skipped = Assert.Single(await WaitForEmailAuditAsync(frank, agentId, "notification.skipped"));
        Assert.Contains("No sender mailbox", skipped!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, tools.Google.CallCount(GoogleEndpoints.GmailSend));
    }

    /// <summary>
    /// Gmail takes the notification but its answer never reaches the hub before the host goes down: after the restart the
    /// send activity runs again, finds the message by its Message-ID, and sends nothing more.
    /// </summary>
    [Fact]
    public async Task HostStopsAfterGmailTookTheNotification_RestartDoesNotSendItAgain()
    {
        const string person = "gina@company.com";
        await using var g = await GoogleHub.StartAsync([new("Notifications:BatchSeconds", "0")], person);
        await g.ConnectSenderAsync();
        var token = await g.OnboardAsync(person, "Gina");
        string agentId;
        using (var gina = g.Hub.Http(token))
        {
            agentId = (await gina.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>();
            g.Google.DelayResponseNext(1, TimeSpan.FromMinutes(2), GoogleEndpoints.GmailSend);
            await ToolHub.ProposeAsync(gina, agentId, ProposalTypes.SendEmail, Payload("Across a crash"));
            await ToolHub.WaitUntilAsync(() => Notifications(g, person).Count == 1, "Gmail to take the notification");
        }

        await g.RestartAsync();

        using var after = g.Hub.Http(token);
        await WaitForAuditAsync(after, agentId, "notification.sent", TimeSpan.FromSeconds(60));
        Assert.Single(Notifications(g, person));
    }

    /// <summary>Gmail answers 503 the first time: the send activity is retried on the runtime's retry policy and the email goes once.</summary>
    [Fact]
    public async Task TransientGmailFailure_IsRetried_AndSendsOnce()
    {
        const string person = "hana@company.com";
        await using var g = await GoogleHub.StartAsync([new("Notifications:BatchSeconds", "0")], person);
        await g.ConnectSenderAsync();
        var token = await g.OnboardAsync(person, "Hana");
        using var hana = g.Hub.Http(token);
        var agentId = (await hana.GetFromJsonAsync<JsonObject>("/api/me"))!["agentId"]!.GetValue<string>();
        var sends = g.Google.CallCount(GoogleEndpoints.GmailSend);
        g.Google.FailNext(1, 503, "backend error", GoogleEndpoints.GmailSend);

        await ToolHub.ProposeAsync(hana, agentId, ProposalTypes.SendEmail, Payload("Retried"));

        await WaitForAuditAsync(hana, agentId, "notification.sent", TimeSpan.FromSeconds(60));
        Assert.Equal(sends + 2, g.Google.CallCount(GoogleEndpoints.GmailSend));
        Assert.Single(Notifications(g, person));
        Assert.Empty(await AuditAsync(hana, agentId, "notification.failed"));
    }

    [Fact]
    public void Render_PutsAMultiLineTitleOnOneLine_SoTheSubjectIsAValidHeader()
    {
        var hub = new Security.HubOptions { PublicBaseUrl = "https://hub.example.com/", CompanyName = "Acme" };
        var item = new Orchestrations.Notifications.NotificationItem("p-1", Orchestrations.Notifications.NotificationKinds.Waiting, ProposalTypes.CreateNotionPage,
            "New Notion page: Plan\r\nfor  Q3\u0007", DateTimeOffset.UnixEpoch);

        var notification = Orchestrations.Notifications.NotificationRenderer.Render(hub, "ann-acme-com", [item]);

        Assert.Equal("[Acme] Waiting for your decision: Create Notion Page: New Notion page: Plan for Q3", notification.Subject);
        Assert.Contains("https://hub.example.com/?proposal=p-1", notification.Text, StringComparison.Ordinal);
        var mime = Integrations.Mail.MimeMessageBuilder.Build(
            new Integrations.Mail.EmailMessage { From = "hub@acme.com", To = ["ann@acme.com"], Subject = notification.Subject, Body = notification.Text }, DateTimeOffset.UnixEpoch);
        Assert.Contains("Subject:", mime, StringComparison.Ordinal);
    }

    internal static JsonObject Payload(string subject) =>
        new() { ["to"] = "sarah@acme.com", ["subject"] = subject, ["body"] = "Hi Sarah,\nfollowing up on our call." };

    /// <summary>The notifications (not the invite or the dashboard link) the fake Gmail recorded for <paramref name="person"/>.</summary>
    internal static List<RecordedEmail> Notifications(GoogleHub g, string person) =>
        g.Google.SentEmails.Where(m => m.To.Contains(person) && m.Body.Contains("/?proposal=", StringComparison.Ordinal)).ToList();

    /// <summary>Waits for the email channel's audit entries of <paramref name="action"/> (each channel, Telegram too, is audited on its own).</summary>
    internal static async Task<List<JsonNode?>> WaitForEmailAuditAsync(HttpClient http, string agentId, string action)
    {
        List<JsonNode?> found = [];
        await ToolHub.WaitUntilAsync(
            () => (found = [.. AuditAsync(http, agentId, action).GetAwaiter().GetResult().Where(e => e!["detail"]!.GetValue<string>().StartsWith("email:", StringComparison.Ordinal))]).Count > 0,
            $"the email channel's '{action}' in {agentId}'s audit log", TimeSpan.FromSeconds(60));
        return found;
    }

    internal static async Task<List<JsonNode?>> AuditAsync(HttpClient http, string agentId, string actionPrefix) =>
        (await http.GetFromJsonAsync<JsonArray>($"/api/agents/{agentId}/audit?top=500"))!
            .Where(a => a!["action"]!.GetValue<string>().StartsWith(actionPrefix, StringComparison.Ordinal)).ToList();

    internal static async Task<List<JsonNode?>> WaitForAuditAsync(HttpClient http, string agentId, string action, TimeSpan? wait = null)
    {
        List<JsonNode?> found = [];
        await ToolHub.WaitUntilAsync(() => (found = AuditAsync(http, agentId, action).GetAwaiter().GetResult()).Count > 0, $"'{action}' in {agentId}'s audit log", wait ?? TimeSpan.FromSeconds(60));
        return found;
    }

    private static async Task<JsonObject> PutSettingsAsync(HttpClient http, string agentId, JsonObject body)
    {
        using var response = await http.PutAsJsonAsync($"/api/agents/{agentId}/notifications", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task AssertInvalidAsync(HttpClient http, string agentId, JsonObject body, string field)
    {
        using var response = await http.PutAsJsonAsync($"/api/agents/{agentId}/notifications", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.NotNull(problem["errors"]![field]);
    }
}

/// <summary>A proposal left waiting is recalled once (the reminder interval) and its expiry is reported: three emails in all.</summary>
public sealed class NotificationReminderTests(ReminderHubFixture fixture) : IClassFixture<ReminderHubFixture>
{
    [Fact]
    public async Task WaitingProposal_IsReminded_ThenItsExpiryIsReported()
    {
        const string person = "alice@company.com";
        using var alice = fixture.User(person);
        var agentId = fixture.AgentId(person);
        var id = await ToolHub.ProposeAsync(alice, agentId, ProposalTypes.SendEmail, NotificationTests.Payload("Left waiting"));

        await ToolHub.WaitUntilAsync(() => NotificationTests.Notifications(fixture.Hub, person).Any(m => m.Subject!.Contains("Expired", StringComparison.Ordinal)), "the expiry notice", TimeSpan.FromSeconds(90));
        Assert.Equal(ProposalStatus.Expired, ToolHub.Status(await ToolHub.GetProposalAsync(alice, id)));
        var mails = NotificationTests.Notifications(fixture.Hub, person);
        Assert.Collection(mails,
            m => Assert.Contains("Waiting for your decision", m.Subject, StringComparison.Ordinal),
            m => Assert.Contains("Reminder", m.Subject, StringComparison.Ordinal),
            m => Assert.Contains("Expired without a decision: Send Email: Email to sarah@acme.com: Left waiting", m.Subject, StringComparison.Ordinal));
        Assert.All(mails, m => Assert.Contains($"/?proposal={id}", m.Body, StringComparison.Ordinal));
        // Each send is audited once it is done (the expiry notice's entry may follow its email by a moment).
        await ToolHub.WaitUntilAsync(() => NotificationTests.AuditAsync(alice, agentId, "notification.sent").GetAwaiter().GetResult().Count >= 3, "the three sends in the audit log");
        Assert.Equal(3, (await NotificationTests.AuditAsync(alice, agentId, "notification.sent")).Count);
    }

    [Fact]
    public async Task RemindersOff_OnlyTheFirstNoticeAndTheExpiry()
    {
        const string person = "bob@company.com";
        using var bob = fixture.User(person);
        var agentId = fixture.AgentId(person);
        using (var off = await bob.PutAsJsonAsync($"/api/agents/{agentId}/notifications", new { reminders = false }))
        {
            Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        }

        await ToolHub.ProposeAsync(bob, agentId, ProposalTypes.SendEmail, NotificationTests.Payload("No reminders"));

        await ToolHub.WaitUntilAsync(() => NotificationTests.Notifications(fixture.Hub, person).Any(m => m.Subject!.Contains("Expired", StringComparison.Ordinal)), "the expiry notice", TimeSpan.FromSeconds(90));
        Assert.Collection(NotificationTests.Notifications(fixture.Hub, person),
            m => Assert.Contains("Waiting for your decision", m.Subject, StringComparison.Ordinal),
            m => Assert.Contains("Expired without a decision", m.Subject, StringComparison.Ordinal));
    }
}
