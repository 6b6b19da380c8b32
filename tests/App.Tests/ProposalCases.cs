using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Tests;

/// <summary>Per action type: a payload, an edit, and how to check that the fake got exactly that.</summary>
internal static partial class ProposalCases
{
    /// <summary>
    /// Types the every-type tests leave to their own tests (GoogleDraftsDocsHttpTests): a send_gmail_draft's payload is
    /// what the hub read of a draft, not what was proposed, and create_google_doc needs GOOGLE_DRIVE.
    /// </summary>
    public static IReadOnlyList<string> OwnTests { get; } = [ProposalTypes.SendGmailDraft, ProposalTypes.CreateGoogleDoc];

    /// <summary>The types the every-type tests propose as a person would.</summary>
    public static IEnumerable<string> EveryType => ProposalTypes.Composable.Except(ProposalTypes.OrchestratorOnly).Except(OwnTests);

    public static JsonObject Payload(ToolHubFixture f, string type)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        return type switch
        {
            ProposalTypes.SendEmail => new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = $"Follow-up {tag}", ["body"] = "Hi Sarah,\nfollowing up on our call." },
            ProposalTypes.CreateGmailDraft => new JsonObject { ["to"] = "sarah@acme.com", ["subject"] = $"Draft {tag}", ["body"] = "Hi Sarah,\na draft to finish." },
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

            // More of Attio and Notion (issue 21).
            ProposalTypes.CreateAttioRecord => new JsonObject { ["object"] = "companies", ["values"] = new JsonObject { ["name"] = $"Acme {tag}", ["domains"] = new JsonArray($"acme-{tag}.com") } },
            ProposalTypes.CompleteAttioTask => new JsonObject { ["taskId"] = f.Tools.Attio.AddTask($"Send the offer {tag}") },
            ProposalTypes.ArchiveNotionPage => new JsonObject { ["pageId"] = f.Tools.Notion.AddPage(f.WikiPageId, $"Old notes {tag}", "Outdated.") },
            ProposalTypes.AppendNotionBlocks => new JsonObject
            {
                ["pageId"] = f.Tools.Notion.AddPage(f.WikiPageId, $"Plan {tag}"),
                ["blocks"] = new JsonArray(
                    new JsonObject { ["type"] = "heading_2", ["text"] = $"Next steps {tag}" },
                    new JsonObject { ["type"] = "to_do", ["text"] = "Send the offer", ["checked"] = false },
                    new JsonObject { ["type"] = "bulleted_list_item", ["text"] = "Budget agreed" }),
            },

            // More of Google Calendar (issue 21).
            ProposalTypes.UpdateCalendarEvent => new JsonObject
            {
                ["eventId"] = f.Tools.Google.Account("alice@company.com").AddEvent($"Sync {tag}", new DateTimeOffset(2030, 11, 25, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 11, 25, 10, 0, 0, TimeSpan.Zero)),
                ["summary"] = $"Moved sync {tag}",
                ["start"] = "2030-11-25T14:00:00Z",
                ["end"] = "2030-11-25T15:00:00Z",
            },
            ProposalTypes.CancelCalendarEvent => new JsonObject { ["eventId"] = f.Tools.Google.Account("alice@company.com").AddEvent($"Sync {tag}", new DateTimeOffset(2030, 11, 26, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 11, 26, 10, 0, 0, TimeSpan.Zero)) },
            ProposalTypes.RespondCalendarEvent => new JsonObject
            {
                ["eventId"] = f.Tools.Google.Account("alice@company.com").AddInvitation($"Acme review {tag}", new DateTimeOffset(2030, 11, 27, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 11, 27, 10, 0, 0, TimeSpan.Zero), "sarah@acme.com"),
                ["response"] = "accepted",
            },
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
    }

    /// <summary>An edit of a proposal of <paramref name="type"/>; types whose only field names something in a fake make a new one in <paramref name="f"/>.</summary>
    public static JsonObject Edit(string type, ToolHubFixture? f = null) => type switch
    {
        ProposalTypes.UpdateCalendarEvent => new JsonObject { ["summary"] = $"Edited sync {Guid.NewGuid():N}", ["start"] = "2030-11-25T16:00:00Z", ["end"] = "2030-11-25T16:30:00Z" },
        ProposalTypes.CancelCalendarEvent => new JsonObject { ["eventId"] = f!.Tools.Google.Account("alice@company.com").AddEvent($"Edited {Guid.NewGuid():N}", new DateTimeOffset(2030, 11, 28, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2030, 11, 28, 10, 0, 0, TimeSpan.Zero)) },
        ProposalTypes.RespondCalendarEvent => new JsonObject { ["response"] = "tentative" },
        ProposalTypes.CreateAttioRecord => new JsonObject { ["values"] = new JsonObject { ["name"] = $"Edited Co {Guid.NewGuid():N}" } },
        ProposalTypes.CompleteAttioTask => new JsonObject { ["taskId"] = f!.Tools.Attio.AddTask($"Edited task {Guid.NewGuid():N}") },
        ProposalTypes.ArchiveNotionPage => new JsonObject { ["pageId"] = f!.Tools.Notion.AddPage(f.WikiPageId, $"Edited page {Guid.NewGuid():N}") },
        ProposalTypes.AppendNotionBlocks => new JsonObject
        {
            ["blocks"] = new JsonArray(new JsonObject { ["type"] = "to_do", ["text"] = $"Edited to-do {Guid.NewGuid():N}", ["checked"] = true }, new JsonObject { ["type"] = "divider" }),
        },
        ProposalTypes.SendEmail or ProposalTypes.CreateGmailDraft => new JsonObject { ["subject"] = $"Edited {Guid.NewGuid():N}", ["body"] = "Edited body\nsecond line" },
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

            case ProposalTypes.CreateGmailDraft:
                {
                    var draft = Assert.Single(tools.Google.Account("alice@company.com").Drafts, d => d.Subject == Text(p, "subject"));
                    Assert.Equal(string.Join(", ", ProposalValidator.Emails(p, "to")), draft.To);
                    Assert.Equal(Text(p, "body"), draft.Body);
                    Assert.DoesNotContain(tools.Google.SentEmails, m => m.Subject == Text(p, "subject"));
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

            case ProposalTypes.UpdateCalendarEvent:
                {
                    var updated = tools.Google.Account("alice@company.com").GetEvent(Text(p, "eventId"))!;
                    Assert.Equal(Text(p, "summary"), updated["summary"]!.GetValue<string>());
                    Assert.Equal(DateTimeOffset.Parse(Text(p, "start"), System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(updated["start"]!["dateTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
                    Assert.Equal(DateTimeOffset.Parse(Text(p, "end"), System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse(updated["end"]!["dateTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
                    break;
                }

            case ProposalTypes.CancelCalendarEvent:
                {
                    Assert.Equal("cancelled", tools.Google.Account("alice@company.com").GetEvent(Text(p, "eventId"))!["status"]!.GetValue<string>());
                    break;
                }

            case ProposalTypes.RespondCalendarEvent:
                {
                    var attendees = tools.Google.Account("alice@company.com").GetEvent(Text(p, "eventId"))!["attendees"]!.AsArray();
                    Assert.Equal(["accepted", Text(p, "response")], attendees.Select(a => a!["responseStatus"]!.GetValue<string>()));
                    break;
                }

            case ProposalTypes.CreateAttioRecord:
                {
                    var recordId = proposal["result"]!.GetValue<string>().TrimEnd(')').Split('/')[^1];
                    var record = tools.Attio.GetRecord("companies", recordId)!;
                    Assert.Equal(p["values"]!["name"]!.GetValue<string>(), record["values"]!["name"]![0]!["value"]!.GetValue<string>());
                    var domains = (p["values"]!["domains"] as JsonArray ?? []).Select(d => d!.GetValue<string>());
                    Assert.Equal(domains, record["values"]!["domains"]!.AsArray().Select(d => d!["domain"]!.GetValue<string>()));
                    break;
                }

            case ProposalTypes.CompleteAttioTask:
                {
                    var task = Assert.Single(tools.Attio.Tasks, t => t["id"]!["task_id"]!.GetValue<string>() == Text(p, "taskId"));
                    Assert.True(task["is_completed"]!.GetValue<bool>());
                    break;
                }

            case ProposalTypes.ArchiveNotionPage:
                {
                    Assert.True(tools.Notion.GetPage(Text(p, "pageId"))!["in_trash"]!.GetValue<bool>());
                    break;
                }

            case ProposalTypes.AppendNotionBlocks:
                {
                    var expected = p["blocks"]!.AsArray().Select(b => (b!["type"]!.GetValue<string>(), b["text"]?.GetValue<string>() ?? "", b["checked"]?.GetValue<bool>()));
                    var blocks = tools.Notion.GetBlocks(Text(p, "pageId"));
                    Assert.Equal(expected, blocks.Select(b => (
                        b["type"]!.GetValue<string>(),
                        b["type"]!.GetValue<string>() == "divider" ? "" : BlockText(b),
                        b["type"]!.GetValue<string>() == "to_do" ? b["to_do"]!["checked"]!.GetValue<bool>() : (bool?)null)));
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
