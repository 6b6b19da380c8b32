using System.Text;
using System.Text.Json.Nodes;

namespace CompanyHub.Orchestrations.Approvals;

/// <summary>Renders a proposal as the "Action Proposal" card people approve (Markdown, as in the original plan).</summary>
public static class ProposalCard
{
    public static string Render(string type, JsonObject payload, string agentEmail, int revision)
    {
        var card = new StringBuilder();
        card.Append("📋 **Action Proposal**");
        if (revision > 1)
        {
            card.Append(" (revision ").Append(revision).Append(')');
        }

        card.Append("\n\n**Type:** ").Append(TypeName(type)).Append('\n');
        card.Append("**Via:** ").Append(Via(type, agentEmail)).Append("\n\n");
        switch (type)
        {
            case ProposalTypes.SendEmail or ProposalTypes.CreateGmailDraft:
                Line(card, "To", string.Join(", ", ProposalValidator.Emails(payload, "to")));
                if (ProposalValidator.Emails(payload, "cc") is { Count: > 0 } cc)
                {
                    Line(card, "Cc", string.Join(", ", cc));
                }

                Line(card, "Subject", Text(payload, "subject"));
                OptionalLine(card, "In reply to", payload, "replyToMessageId");
                card.Append("\n**Body:**\n");
                Quote(card, Text(payload, "body"));
                if (type == ProposalTypes.CreateGmailDraft)
                {
                    card.Append('\n');
                    Line(card, "Note", "saved as a draft in Gmail; nothing is sent (finish and send it in Gmail, or propose send_gmail_draft)");
                }

                break;
            case ProposalTypes.SendGmailDraft:
                Line(card, "Draft", Text(payload, "draftId"));
                Line(card, "To", Text(payload, "to"));
                OptionalLine(card, "Cc", payload, "cc");
                OptionalLine(card, "Bcc", payload, "bcc");
                Line(card, "Subject", Text(payload, "subject"));
                card.Append("\n**Body** (as the draft read when proposed):\n");
                Quote(card, Text(payload, "body"));
                card.Append('\n');
                Line(card, "Note", "if the draft changes in Gmail before it is sent, nothing is sent");
                break;
            case ProposalTypes.CreateGoogleDoc:
                Line(card, "Title", Text(payload, "title"));
                OptionalLine(card, "Folder", payload, "folderId");
                card.Append("\n**Text:**\n");
                Quote(card, Text(payload, "body"));
                break;
            case ProposalTypes.CreateCalendarEvent:
                Line(card, "Title", Text(payload, "summary"));
                Line(card, "Start", Text(payload, "start"));
                Line(card, "End", Text(payload, "end"));
                if (ProposalValidator.Emails(payload, "attendees") is { Count: > 0 } attendees)
                {
                    Line(card, "Attendees", string.Join(", ", attendees));
                }

                OptionalLine(card, "Location", payload, "location");
                OptionalQuote(card, "Description", payload, "description");
                break;
            case ProposalTypes.CreateNotionPage:
                Line(card, "Parent", Text(payload, "parentPageId") ?? Text(payload, "parentDatabaseId") ?? Text(payload, "parentDataSourceId"));
                Line(card, "Title", Text(payload, "title"));
                Properties(card, payload["properties"] as JsonObject);
                OptionalQuote(card, "Content", payload, "content");
                break;
            case ProposalTypes.UpdateNotionPage:
                Line(card, "Page", Text(payload, "pageId"));
                Properties(card, payload["properties"] as JsonObject);
                OptionalQuote(card, "Append", payload, "appendText");
                break;
            case ProposalTypes.UpdateAttioRecord:
                Line(card, "Record", $"{Text(payload, "object")} / {Text(payload, "recordId")}");
                Properties(card, payload["values"] as JsonObject);
                break;
            case ProposalTypes.CreateAttioNote:
                Line(card, "Record", $"{Text(payload, "parentObject")} / {Text(payload, "parentRecordId")}");
                Line(card, "Title", Text(payload, "title"));
                card.Append("\n**Note:**\n");
                Quote(card, Text(payload, "content"));
                break;
            case ProposalTypes.CreateAttioTask:
                Line(card, "Task", Text(payload, "content"));
                OptionalLine(card, "Deadline", payload, "deadlineAt");
                break;
            case ProposalTypes.MessageAgent:
                Line(card, "To agent", Text(payload, "agentId"));
                card.Append("\n**Message:**\n");
                Quote(card, Text(payload, "text"));
                break;
            case ProposalTypes.ReplyAgent:
                Line(card, "Shared with", $"{Text(payload, "agentId")} (that agent and its person)");
                OptionalQuote(card, "Their message", payload, "question");
                card.Append("\n**Reply:**\n");
                Quote(card, Text(payload, "text"));
                break;
            case ProposalTypes.StartOnboarding:
                Line(card, "Invite", $"{Text(payload, "name")} <{Text(payload, "email")}>");
                break;
            case ProposalTypes.Broadcast:
                Line(card, "To", "every active agent");
                card.Append("\n**Message:**\n");
                Quote(card, Text(payload, "text"));
                break;
            case ProposalTypes.CreateAttioRecord:
                Line(card, "New record", Text(payload, "object"));
                Properties(card, payload["values"] as JsonObject);
                break;
            case ProposalTypes.CompleteAttioTask:
                Line(card, "Task", Text(payload, "taskId"));
                Line(card, "Change", "mark it completed");
                break;
            case ProposalTypes.ArchiveNotionPage:
                Line(card, "Page", Text(payload, "pageId"));
                Line(card, "Change", "move it to Notion's trash (it can be restored from there)");
                break;
            case ProposalTypes.AppendNotionBlocks:
                Line(card, "Page", Text(payload, "pageId"));
                card.Append("\n**Append:**\n");
                Quote(card, BlockText(payload));
                break;
            case ProposalTypes.UpdateCalendarEvent:
                Line(card, "Event", Text(payload, "eventId"));
                OptionalLine(card, "New title", payload, "summary");
                OptionalLine(card, "New start", payload, "start");
                OptionalLine(card, "New end", payload, "end");
                if (payload["attendees"] is not null)
                {
                    Line(card, "Guests now", string.Join(", ", ProposalValidator.Emails(payload, "attendees")));
                }

                OptionalLine(card, "New location", payload, "location");
                OptionalQuote(card, "New description", payload, "description");
                Line(card, "Guests", "are told of the change");
                break;
            case ProposalTypes.CancelCalendarEvent:
                Line(card, "Event", Text(payload, "eventId"));
                Line(card, "Change", "cancel it; the guests are told");
                break;
            case ProposalTypes.RespondCalendarEvent:
                Line(card, "Invitation", Text(payload, "eventId"));
                Line(card, "Answer", Text(payload, "response"));
                break;
            case ProposalTypes.Grant:
                Line(card, "Actions", $"{TypeName(Text(payload, "type") ?? "")} without asking you each time");
                foreach (var (key, value) in payload["bounds"] as JsonObject ?? [])
                {
                    Line(card, $"Only {key}", value is JsonArray a ? string.Join(", ", a.Select(x => x?.ToString())) : value?.ToString());
                }

                Line(card, "At most", $"{payload["maxPerDay"]} a day");
                Line(card, "For", $"{payload["expiresInDays"]?.ToString() ?? Entities.GrantRules.DefaultDays.ToString(System.Globalization.CultureInfo.InvariantCulture)} days (you can revoke it at any time)");
                break;
            default:
                break;
        }

        card.Append("\n---\nReply with:\n- \"approved\" or \"yes\" to ").Append(Verb(type)).Append("\n- \"edit: [your changes]\" to modify\n- \"no\" to cancel\n");
        return card.ToString();
    }

    public static string Title(string type, JsonObject payload) => type switch
    {
        ProposalTypes.SendEmail => $"Email to {string.Join(", ", ProposalValidator.Emails(payload, "to"))}: {Text(payload, "subject")}",
        ProposalTypes.CreateCalendarEvent => $"Event: {Text(payload, "summary")}",
        ProposalTypes.CreateNotionPage => $"New Notion page: {Text(payload, "title")}",
        ProposalTypes.UpdateNotionPage => $"Update Notion page {Text(payload, "pageId")}",
        ProposalTypes.UpdateAttioRecord => $"Update Attio {Text(payload, "object")} {Text(payload, "recordId")}",
        ProposalTypes.CreateAttioNote => $"Attio note: {Text(payload, "title")}",
        ProposalTypes.CreateAttioTask => $"Attio task: {Text(payload, "content")}",
        ProposalTypes.MessageAgent => $"Message to {Text(payload, "agentId")}",
        ProposalTypes.ReplyAgent => $"Reply to {Text(payload, "agentId")}",
        ProposalTypes.StartOnboarding => $"Invite {Text(payload, "name")} <{Text(payload, "email")}>",
        ProposalTypes.Broadcast => "Broadcast to every agent",
        ProposalTypes.Grant => $"Standing grant: {Text(payload, "type")}",
        ProposalTypes.CreateAttioRecord => $"New Attio {Text(payload, "object")} record",
        ProposalTypes.CompleteAttioTask => $"Complete Attio task {Text(payload, "taskId")}",
        ProposalTypes.ArchiveNotionPage => $"Archive Notion page {Text(payload, "pageId")}",
        ProposalTypes.AppendNotionBlocks => $"Append to Notion page {Text(payload, "pageId")}",
        ProposalTypes.UpdateCalendarEvent => $"Change event {Text(payload, "eventId")}",
        ProposalTypes.CancelCalendarEvent => $"Cancel event {Text(payload, "eventId")}",
        ProposalTypes.RespondCalendarEvent => $"Answer invitation {Text(payload, "eventId")}: {Text(payload, "response")}",
        ProposalTypes.CreateGmailDraft => $"Gmail draft to {string.Join(", ", ProposalValidator.Emails(payload, "to"))}: {Text(payload, "subject")}",
        ProposalTypes.SendGmailDraft => Text(payload, "subject") is { } draftSubject ? $"Send Gmail draft: {draftSubject}" : $"Send Gmail draft {Text(payload, "draftId")}",
        ProposalTypes.CreateGoogleDoc => $"New Google Doc: {Text(payload, "title")}",
        _ => type,
    };

    public static string TypeName(string type) => type switch
    {
        ProposalTypes.SendEmail => "Send Email",
        ProposalTypes.CreateCalendarEvent => "Schedule Calendar Event",
        ProposalTypes.CreateNotionPage => "Create Notion Page",
        ProposalTypes.UpdateNotionPage => "Edit Notion Page",
        ProposalTypes.UpdateAttioRecord => "Update Attio Record",
        ProposalTypes.CreateAttioNote => "Create Attio Note",
        ProposalTypes.CreateAttioTask => "Create Attio Task",
        ProposalTypes.MessageAgent => "Message Another Agent",
        ProposalTypes.ReplyAgent => "Reply to Another Agent",
        ProposalTypes.StartOnboarding => "Invite a Person",
        ProposalTypes.Broadcast => "Broadcast",
        ProposalTypes.Grant => "Standing Grant",
        ProposalTypes.CreateAttioRecord => "Create Attio Record",
        ProposalTypes.CompleteAttioTask => "Complete Attio Task",
        ProposalTypes.ArchiveNotionPage => "Archive Notion Page",
        ProposalTypes.AppendNotionBlocks => "Append to Notion Page",
        ProposalTypes.UpdateCalendarEvent => "Change Calendar Event",
        ProposalTypes.CancelCalendarEvent => "Cancel Calendar Event",
        ProposalTypes.RespondCalendarEvent => "Answer Calendar Invitation",
        ProposalTypes.CreateGmailDraft => "Create Gmail Draft",
        ProposalTypes.SendGmailDraft => "Send Gmail Draft",
        ProposalTypes.CreateGoogleDoc => "Create Google Doc",
        _ => type,
    };

    private static string Via(string type, string agentEmail) => type switch
    {
        ProposalTypes.SendEmail or ProposalTypes.CreateGmailDraft or ProposalTypes.SendGmailDraft => $"Gmail ({agentEmail})",
        ProposalTypes.CreateGoogleDoc => $"Google Docs ({agentEmail})",
        ProposalTypes.CreateCalendarEvent or ProposalTypes.UpdateCalendarEvent or ProposalTypes.CancelCalendarEvent or ProposalTypes.RespondCalendarEvent => $"Google Calendar ({agentEmail})",
        ProposalTypes.CreateNotionPage or ProposalTypes.UpdateNotionPage or ProposalTypes.ArchiveNotionPage or ProposalTypes.AppendNotionBlocks => "Notion (company workspace)",
        ProposalTypes.UpdateAttioRecord or ProposalTypes.CreateAttioNote or ProposalTypes.CreateAttioTask or ProposalTypes.CreateAttioRecord or ProposalTypes.CompleteAttioTask => "Attio CRM (company workspace)",
        ProposalTypes.MessageAgent or ProposalTypes.ReplyAgent => "Company Hub (agent to agent)",
        ProposalTypes.StartOnboarding => "Company Hub onboarding (invite email from the connected sender account)",
        ProposalTypes.Broadcast => "Company Hub (every agent's inbox)",
        ProposalTypes.Grant => "Company Hub (your agent's grants)",
        _ => "Company Hub",
    };

    private static string Verb(string type) => type switch
    {
        ProposalTypes.SendEmail or ProposalTypes.SendGmailDraft => "send",
        ProposalTypes.CreateGmailDraft => "save the draft",
        ProposalTypes.MessageAgent or ProposalTypes.ReplyAgent or ProposalTypes.Broadcast => "send",
        ProposalTypes.StartOnboarding => "invite",
        ProposalTypes.Grant => "grant it",
        ProposalTypes.CreateCalendarEvent => "schedule",
        ProposalTypes.UpdateNotionPage or ProposalTypes.UpdateAttioRecord or ProposalTypes.AppendNotionBlocks => "apply",
        ProposalTypes.CompleteAttioTask => "complete it",
        ProposalTypes.ArchiveNotionPage => "archive it",
        ProposalTypes.UpdateCalendarEvent => "apply",
        ProposalTypes.CancelCalendarEvent => "cancel the event",
        ProposalTypes.RespondCalendarEvent => "answer",
        _ => "create",
    };

    /// <summary>Blocks as the light markdown Notion pages are read back in (the same rendering as notion_read_page).</summary>
    private static string BlockText(JsonObject payload)
    {
        var text = new StringBuilder();
        foreach (var block in ProposalValidator.Blocks(payload))
        {
            Integrations.Notion.NotionJson.AppendBlockText(System.Text.Json.JsonSerializer.SerializeToElement(Integrations.Notion.NotionJson.Block(block.Type, block.Text, block.Checked)), text);
        }

        return text.ToString().TrimEnd('\n');
    }

    private static string? Text(JsonObject payload, string field) => payload[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static void Line(StringBuilder card, string label, string? value) => card.Append("**").Append(label).Append(":** ").Append(value ?? "").Append('\n');

    private static void OptionalLine(StringBuilder card, string label, JsonObject payload, string field)
    {
        if (Text(payload, field) is { Length: > 0 } value)
        {
            Line(card, label, value);
        }
    }

    private static void OptionalQuote(StringBuilder card, string label, JsonObject payload, string field)
    {
        if (Text(payload, field) is { Length: > 0 } value)
        {
            card.Append("\n**").Append(label).Append(":**\n");
            Quote(card, value);
        }
    }

    private static void Quote(StringBuilder card, string? text)
    {
        foreach (var line in (text ?? "").Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            card.Append("> ").Append(line).Append('\n');
        }
    }

    private static void Properties(StringBuilder card, JsonObject? properties)
    {
        if (properties is null)
        {
            return;
        }

        foreach (var (key, value) in properties)
        {
            Line(card, key, value is JsonValue v && v.TryGetValue<string>(out var text) ? text : value?.ToJsonString());
        }
    }
}
