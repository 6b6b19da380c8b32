using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Fakes.Attio;
using CompanyHub.Fakes.Google;
using CompanyHub.Fakes.Notion;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>
/// One hub with every company tool pointed at the fakes, Alice and Bob onboarded through the real Google sign-in, and
/// some data in Notion and Attio for the proposals to act on. Shared by the tests of a class (they run one at a time).
/// </summary>
public class ToolHubFixture : IAsyncLifetime
{
    public ToolHub Tools { get; private set; } = null!;

    public string Alice { get; private set; } = "";

    public string Bob { get; private set; } = "";

    public string WikiPageId { get; private set; } = "";

    public FakeNotionDatabase TasksDatabase { get; private set; } = null!;

    public string PersonId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Tools = await ToolHub.StartAsync(settings: Settings);
        Alice = await Tools.OnboardWithGoogleAsync("alice@company.com", "Alice Example");
        Bob = await Tools.OnboardWithGoogleAsync("bob@company.com", "Bob Example");
        WikiPageId = Tools.Notion.AddPage(null, "Team Wiki", "Welcome.");
        TasksDatabase = Tools.Notion.AddDatabase("Tasks", new JsonObject
        {
            ["Name"] = new JsonObject { ["title"] = new JsonObject() },
            ["Status"] = new JsonObject { ["select"] = new JsonObject { ["options"] = new JsonArray(Option("Todo"), Option("Doing"), Option("Done")) } },
        });
        PersonId = Tools.Attio.AddRecord("people", new JsonObject
        {
            ["name"] = new JsonArray(new JsonObject { ["first_name"] = "Sarah", ["last_name"] = "Client", ["full_name"] = "Sarah Client" }),
            ["email_addresses"] = new JsonArray("sarah@acme.com"),
            ["job_title"] = "Engineer",
        });
    }

    public async Task DisposeAsync() => await Tools.DisposeAsync();

    /// <summary>Gets extra hub settings.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    /// <summary>How many write calls reached any fake, plus Bob's inbox size: unchanged means nothing was written.</summary>
    public async Task<int> WritesAsync()
    {
        var google = Tools.Google.CallCount(GoogleEndpoints.GmailSend) + Tools.Google.CallCount(GoogleEndpoints.CalendarInsert);
        var notion = Tools.Notion.CallCount(NotionEndpoints.PagesCreate) + Tools.Notion.CallCount(NotionEndpoints.PagesUpdate) + Tools.Notion.CallCount(NotionEndpoints.BlocksChildrenAppend);
        var attio = Tools.Attio.CallCount(AttioEndpoints.RecordsUpdate) + Tools.Attio.CallCount(AttioEndpoints.RecordsCreate) + Tools.Attio.CallCount(AttioEndpoints.RecordsAssert)
            + Tools.Attio.CallCount(AttioEndpoints.NotesCreate) + Tools.Attio.CallCount(AttioEndpoints.TasksCreate);
        using var bob = Tools.User(Bob);
        var inbox = (await bob.GetFromJsonAsync<JsonArray>($"/api/agents/{Bob}/inbox"))!.Count;
        return google + notion + attio + inbox;
    }

    private static JsonObject Option(string name) => new() { ["name"] = name };
}

/// <summary>
/// Every action type through <c>POST /api/agents/{id}/proposals</c> → approve / edit-then-approve / reject over HTTP,
/// with the fakes receiving exactly the approved (edited) content; expiry is in <see cref="ProposalExpiryHttpTests"/>.
/// </summary>
public sealed class ProposalActionsHttpTests(ToolHubFixture fixture) : IClassFixture<ToolHubFixture>
{
    public static TheoryData<string> Types => [.. ProposalTypes.All];

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Proposal_Approved_ToolReceivesExactlyThePayload(string type)
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var payload = ProposalCases.Payload(fixture, type);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, type, payload);
        var pending = await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        Assert.Contains("📋 **Action Proposal**", pending["card"]!.GetValue<string>(), StringComparison.Ordinal);

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal(1, done["attempts"]!.GetValue<int>());
        Assert.Equal("user:" + fixture.Alice, done["decidedBy"]!.GetValue<string>());
        await ProposalCases.AssertEffectAsync(fixture, type, payload, done);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Proposal_EditedThenApproved_ToolReceivesTheEditedRevision(string type)
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var original = ProposalCases.Payload(fixture, type);
        var changes = ProposalCases.Edit(type);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, type, original);
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        var writesBefore = await fixture.WritesAsync();

        await ToolHub.DecideOkAsync(alice, id, "edit", changes);
        var edited = await ToolHub.WaitForProposalAsync(alice, id, p => p["revision"]!.GetValue<int>() == 2);
        Assert.Equal(ProposalStatus.Pending, ToolHub.Status(edited));
        Assert.Contains("(revision 2)", edited["card"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(original.ToJsonString(), edited["revisions"]![0]!["payload"]!.ToJsonString());
        Assert.Equal(writesBefore, await fixture.WritesAsync());

        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        var expected = ProposalValidator.ApplyChanges(original, changes);
        Assert.Equal(expected.ToJsonString(), done["payload"]!.ToJsonString());
        await ProposalCases.AssertEffectAsync(fixture, type, expected, done);
    }

    [Theory]
    [MemberData(nameof(Types))]
    public async Task Proposal_Rejected_NothingIsWritten(string type)
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, type, ProposalCases.Payload(fixture, type));
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        var writesBefore = await fixture.WritesAsync();

        await ToolHub.DecideOkAsync(alice, id, "reject", reason: "not now");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.Equal(ProposalStatus.Rejected, ToolHub.Status(done));
        Assert.Equal("not now", done["reason"]!.GetValue<string>());
        Assert.Equal(writesBefore, await fixture.WritesAsync());
        await ToolHub.WaitUntilAsync(
            () => alice.GetFromJsonAsync<JsonArray>($"/api/agents/{fixture.Alice}/proposals?status=rejected").GetAwaiter().GetResult()!.Any(p => p!["proposalId"]!.GetValue<string>() == id),
            "the rejected proposal in the agent's list");
    }

    [Fact]
    public async Task SendEmail_EditedThenApproved_GmailGetsProperRfc2822WithUtf8Subject()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.SendEmail, new JsonObject
        {
            ["to"] = "sarah@acme.com",
            ["subject"] = "Follow-up",
            ["body"] = "Hi Sarah,\nthanks for yesterday.",
        });
        await ToolHub.WaitForStatusAsync(alice, id, ProposalStatus.Pending);
        const string subject = "Angebot für Q2 — Grüße ✓ and a long tail so that the encoded subject has to be folded over lines";
        const string body = "Hi Sarah,\n\nhere is the offer: 12 500 € per quarter.\nA line of dots:\n.\nBest,\nAlice";

        await ToolHub.DecideOkAsync(alice, id, "edit", new JsonObject { ["subject"] = subject, ["body"] = body, ["cc"] = new JsonArray("bob@company.com"), ["to"] = "sarah@acme.com, ceo@acme.com" });
        await ToolHub.WaitForProposalAsync(alice, id, p => p["revision"]!.GetValue<int>() == 2);
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        var mail = Assert.Single(fixture.Tools.Google.SentEmails, m => m.Subject == subject);
        Assert.Equal("alice@company.com", mail.Account);
        Assert.Equal("alice@company.com", mail.From);
        Assert.Equal(["sarah@acme.com", "ceo@acme.com"], mail.To);
        Assert.Equal(["bob@company.com"], mail.Cc);
        Assert.Equal(body, mail.Body);
        Assert.True(mail.UsesCrlf, "every line of the message ends in CRLF");
        Assert.True(mail.LongestLine <= 78, $"header lines are folded (longest {mail.LongestLine})");
        var rawHeaders = mail.Raw[..mail.Raw.IndexOf("\r\n\r\n", StringComparison.Ordinal)];
        Assert.DoesNotContain("ü", rawHeaders, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"^Subject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=\r\n(?: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=\r\n)+", RegexOptions.Multiline), rawHeaders + "\r\n");
        Assert.Contains("MIME-Version: 1.0\r\n", rawHeaders, StringComparison.Ordinal);
        Assert.Contains("Content-Type: text/plain; charset=UTF-8\r\n", rawHeaders, StringComparison.Ordinal);
        Assert.Contains("Content-Transfer-Encoding: quoted-printable", rawHeaders, StringComparison.Ordinal);
        Assert.Matches(@"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$", mail.Header("Date")!);
        Assert.Single(mail.HeaderValues("Message-ID"));
        Assert.Single(mail.HeaderValues("Subject"));
        Assert.Contains(mail.GmailId, done["result"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

/// <summary>Per action type: a payload, an edit, and how to check that the fake got exactly that.</summary>
internal static partial class ProposalCases
{
    public static JsonObject Payload(ToolHubFixture f, string type)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        return type switch
        {
            ProposalTypes.SendEmail => new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = $"Follow-up {tag}", ["body"] = "Hi Sarah,\nfollowing up on our call." },
            ProposalTypes.CreateCalendarEvent => new JsonObject
            {
                ["summary"] = $"Acme sync {tag}",
                ["start"] = "2030-11-23T15:00:00Z",
                ["end"] = "2030-11-23T15:30:00Z",
                ["attendees"] = new JsonArray("sarah@acme.com"),
                ["description"] = "Quarterly review",
            },
            ProposalTypes.CreateNotionPage => new JsonObject { ["parentPageId"] = f.WikiPageId, ["title"] = $"Meeting notes {tag}", ["content"] = "Decisions:\n- ship it" },
            ProposalTypes.UpdateNotionPage => new JsonObject
            {
                ["pageId"] = f.Tools.Notion.AddDatabasePage(f.TasksDatabase.Id, $"Task {tag}", new JsonObject { ["Status"] = new JsonObject { ["select"] = new JsonObject { ["name"] = "Todo" } } }),
                ["properties"] = new JsonObject { ["Status"] = new JsonObject { ["select"] = new JsonObject { ["name"] = "Doing" } } },
                ["appendText"] = $"Started {tag}.",
            },
            ProposalTypes.UpdateAttioRecord => new JsonObject { ["object"] = "people", ["recordId"] = f.PersonId, ["values"] = new JsonObject { ["job_title"] = $"CTO {tag}" } },
            ProposalTypes.CreateAttioNote => new JsonObject { ["parentObject"] = "people", ["parentRecordId"] = f.PersonId, ["title"] = $"Call {tag}", ["content"] = "Talked about Q2." },
            ProposalTypes.CreateAttioTask => new JsonObject { ["content"] = $"Send the offer {tag}", ["deadlineAt"] = "2030-12-01T09:00:00Z" },
            ProposalTypes.MessageAgent => new JsonObject { ["agentId"] = f.Bob, ["text"] = $"Status on Acme? {tag}" },
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }

    public static JsonObject Edit(string type) => type switch
    {
        ProposalTypes.SendEmail => new JsonObject { ["subject"] = $"Edited {Guid.NewGuid():N}", ["body"] = "Edited body\nsecond line" },
        ProposalTypes.CreateCalendarEvent => new JsonObject { ["summary"] = $"Moved sync {Guid.NewGuid():N}", ["start"] = "2030-11-24T10:00:00Z", ["end"] = "2030-11-24T11:00:00Z" },
        ProposalTypes.CreateNotionPage => new JsonObject { ["title"] = $"Edited notes {Guid.NewGuid():N}", ["content"] = "Edited content" },
        ProposalTypes.UpdateNotionPage => new JsonObject { ["properties"] = new JsonObject { ["Status"] = new JsonObject { ["select"] = new JsonObject { ["name"] = "Done" } } }, ["appendText"] = "Finished." },
        ProposalTypes.UpdateAttioRecord => new JsonObject { ["values"] = new JsonObject { ["job_title"] = $"CEO {Guid.NewGuid():N}" } },
        ProposalTypes.CreateAttioNote => new JsonObject { ["content"] = $"Edited note {Guid.NewGuid():N}" },
        ProposalTypes.CreateAttioTask => new JsonObject { ["content"] = $"Edited task {Guid.NewGuid():N}", ["deadlineAt"] = "2030-12-02T09:00:00Z" },
        ProposalTypes.MessageAgent => new JsonObject { ["text"] = $"Edited message {Guid.NewGuid():N}" },
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static async Task AssertEffectAsync(ToolHubFixture f, string type, JsonObject p, JsonObject proposal)
    {
        var tools = f.Tools;
        switch (type)
        {
            case ProposalTypes.SendEmail:
            {
                var mail = Assert.Single(tools.Google.SentEmails, m => m.Subject == Text(p, "subject"));
                Assert.Equal(ProposalValidator.Emails(p, "to"), mail.To);
                Assert.Equal(Text(p, "body"), mail.Body);
                Assert.Equal("alice@company.com", mail.Account);
                break;
            }

            case ProposalTypes.CreateCalendarEvent:
            {
                var created = Assert.Single(tools.Google.Account("alice@company.com").Events, e => e["summary"]?.GetValue<string>() == Text(p, "summary"));
                Assert.Equal(DateTimeOffset.Parse(Text(p, "start"), System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(created["start"]!["dateTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(DateTimeOffset.Parse(Text(p, "end"), System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(created["end"]!["dateTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(ProposalValidator.Emails(p, "attendees"), created["attendees"]!.AsArray().Select(a => a!["email"]!.GetValue<string>()));
                Assert.Equal(Text(p, "description"), created["description"]?.GetValue<string>());
                break;
            }

            case ProposalTypes.CreateNotionPage:
            {
                var pageId = NotionId().Match(proposal["result"]!.GetValue<string>()).Groups[1].Value;
                var page = tools.Notion.GetPage(pageId)!;
                Assert.NotNull(page);
                Assert.Equal(f.WikiPageId.Replace("-", "", StringComparison.Ordinal), page["parent"]!["page_id"]!.GetValue<string>().Replace("-", "", StringComparison.Ordinal));
                Assert.Equal(Text(p, "title"), PlainText(page["properties"]!["title"]!["title"]!));
                // Light markdown: "- " lines become bullets, the others paragraphs.
                var expected = Text(p, "content").Split('\n').Select(l => l.StartsWith("- ", StringComparison.Ordinal) ? ("bulleted_list_item", l[2..]) : ("paragraph", l));
                Assert.Equal(expected, tools.Notion.GetBlocks(pageId).Select(b => (b["type"]!.GetValue<string>(), BlockText(b))));
                break;
            }

            case ProposalTypes.UpdateNotionPage:
            {
                var pageId = Text(p, "pageId");
                var page = tools.Notion.GetPage(pageId)!;
                Assert.Equal(p["properties"]!["Status"]!["select"]!["name"]!.GetValue<string>(), page["properties"]!["Status"]!["select"]!["name"]!.GetValue<string>());
                Assert.Equal(Text(p, "appendText"), BlockText(tools.Notion.GetBlocks(pageId).Last()));
                break;
            }

            case ProposalTypes.UpdateAttioRecord:
            {
                var record = tools.Attio.GetRecord("people", Text(p, "recordId"))!;
                Assert.Equal(p["values"]!["job_title"]!.GetValue<string>(), record["values"]!["job_title"]![0]!["value"]!.GetValue<string>());
                break;
            }

            case ProposalTypes.CreateAttioNote:
            {
                var note = Assert.Single(tools.Attio.Notes, n => n["title"]?.GetValue<string>() == Text(p, "title") && n["content_plaintext"]?.GetValue<string>() == Text(p, "content"));
                Assert.Equal("people", note["parent_object"]!.GetValue<string>());
                Assert.Equal(Text(p, "parentRecordId"), note["parent_record_id"]!.GetValue<string>());
                break;
            }

            case ProposalTypes.CreateAttioTask:
            {
                var task = Assert.Single(tools.Attio.Tasks, t => t["content_plaintext"]?.GetValue<string>() == Text(p, "content"));
                Assert.Equal(DateTimeOffset.Parse(Text(p, "deadlineAt"), System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(task["deadline_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
                break;
            }

            case ProposalTypes.MessageAgent:
            {
                // The inbox is written by an entity signal: it lands shortly after the proposal says "succeeded".
                using var bob = tools.User(f.Bob);
                JsonArray inbox = [];
                await ToolHub.WaitUntilAsync(() =>
                {
                    inbox = bob.GetFromJsonAsync<JsonArray>($"/api/agents/{f.Bob}/inbox").GetAwaiter().GetResult()!;
                    return inbox.Any(m => m!["text"]!.GetValue<string>() == Text(p, "text"));
                }, "the message in Bob's inbox");
                var message = Assert.Single(inbox, m => m!["text"]!.GetValue<string>() == Text(p, "text"))!;
                Assert.Equal(f.Alice, message["fromAgentId"]!.GetValue<string>());
                break;
            }

            default:
                Assert.Fail($"No check for {type}.");
                break;
        }
    }

    public static string Text(JsonObject p, string field) => p[field]!.GetValue<string>();

    public static string PlainText(JsonNode richText) => string.Concat(richText.AsArray().Select(r => r!["plain_text"]!.GetValue<string>()));

    public static string BlockText(JsonObject block) => PlainText(block[block["type"]!.GetValue<string>()]!["rich_text"]!);

    [GeneratedRegex(@"([0-9a-f]{32})\)$")]
    private static partial Regex NotionId();
}

/// <summary>Notion pages in a database: the agent writes property values as text, the hub converts them by the schema.</summary>
public sealed class NotionDatabaseProposalHttpTests(ToolHubFixture fixture) : IClassFixture<ToolHubFixture>
{
    [Theory]
    [InlineData("parentDatabaseId")]
    [InlineData("parentDataSourceId")]
    public async Task CreateNotionPage_InADatabase_TextAndRawPropertiesFollowTheSchema(string parentField)
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var parent = parentField == "parentDatabaseId" ? fixture.TasksDatabase.Id : fixture.TasksDatabase.DataSourceId;
        var title = $"Review {Guid.NewGuid():N}";
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.CreateNotionPage, new JsonObject
        {
            [parentField] = parent,
            ["title"] = title,
            ["properties"] = new JsonObject { ["Status"] = "Doing" },
            ["content"] = "Notes",
        });
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        var pageId = System.Text.RegularExpressions.Regex.Match(done["result"]!.GetValue<string>(), @"([0-9a-f]{32})\)$").Groups[1].Value;
        var page = fixture.Tools.Notion.GetPage(pageId)!;
        Assert.Equal(title, ProposalCases.PlainText(page["properties"]!["Name"]!["title"]!));
        Assert.Equal("Doing", page["properties"]!["Status"]!["select"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task UpdateNotionPage_TextPropertyValue_IsConvertedByThePagesType()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var pageId = fixture.Tools.Notion.AddDatabasePage(fixture.TasksDatabase.Id, "Ship v2", new JsonObject { ["Status"] = new JsonObject { ["select"] = new JsonObject { ["name"] = "Todo" } } });
        var id = await ToolHub.ProposeAsync(alice, fixture.Alice, ProposalTypes.UpdateNotionPage, new JsonObject { ["pageId"] = pageId, ["properties"] = new JsonObject { ["Status"] = "Done" } });
        await ToolHub.DecideOkAsync(alice, id, "approve");
        var done = await ToolHub.WaitForFinalAsync(alice, id);

        Assert.True(ToolHub.Status(done) == ProposalStatus.Succeeded, done.ToJsonString());
        Assert.Equal("Done", fixture.Tools.Notion.GetPage(pageId)!["properties"]!["Status"]!["select"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CreateNotionPage_UnderAPage_WithProperties_IsRefusedWhenProposed()
    {
        using var alice = fixture.Tools.User(fixture.Alice);
        var response = await alice.PostAsJsonAsync($"/api/agents/{fixture.Alice}/proposals", new
        {
            type = ProposalTypes.CreateNotionPage,
            payload = new JsonObject { ["parentPageId"] = fixture.WikiPageId, ["title"] = "x", ["properties"] = new JsonObject { ["Status"] = "Done" } },
        });

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("payload.properties", (await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key));
    }
}
