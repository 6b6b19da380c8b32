using System.Net.Mail;
using System.Text.Json.Nodes;

namespace CompanyHub.Orchestrations.Approvals;

/// <summary>Checks a proposal's payload for its type; every error names the field it is about.</summary>
public static class ProposalValidator
{
    public static Dictionary<string, string[]> Validate(string? type, JsonObject? payload)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Add(string field, string message) => errors[field] = [.. errors.GetValueOrDefault(field, []), message];

        if (string.IsNullOrWhiteSpace(type) || !ProposalTypes.All.Contains(type))
        {
            Add("type", $"type must be one of: {string.Join(", ", ProposalTypes.All)}.");
            return errors;
        }

        if (payload is null)
        {
            Add("payload", "payload is required.");
            return errors;
        }

        switch (type)
        {
            case ProposalTypes.SendEmail or ProposalTypes.CreateGmailDraft:
                RequireEmails(payload, "to", required: true, Add);
                RequireEmails(payload, "cc", required: false, Add);
                RequireText(payload, "subject", Add, max: 998);
                if (payload["replyToMessageId"] is not null)
                {
                    RequireText(payload, "replyToMessageId", Add, max: 200);
                }
                RequireText(payload, "body", Add, allowEmpty: true, max: 200_000);
                if (Text(payload, "subject") is { } subject && (subject.Contains('\r', StringComparison.Ordinal) || subject.Contains('\n', StringComparison.Ordinal)))
                {
                    Add("payload.subject", "subject cannot contain line breaks.");
                }

                break;
            case ProposalTypes.CreateCalendarEvent:
                RequireText(payload, "summary", Add, max: 1024);
                var start = RequireTime(payload, "start", Add);
                var end = RequireTime(payload, "end", Add);
                if (start is not null && end is not null && end <= start)
                {
                    Add("payload.end", "end must be after start.");
                }

                RequireEmails(payload, "attendees", required: false, Add);
                break;
            case ProposalTypes.CreateNotionPage:
                var parents = new[] { "parentPageId", "parentDatabaseId", "parentDataSourceId" }.Count(f => Text(payload, f) is not null);
                if (parents != 1)
                {
                    Add("payload.parentPageId", "a Notion page needs exactly one parent: parentPageId, parentDatabaseId or parentDataSourceId.");
                }

                RequireText(payload, "title", Add, max: 2000);
                OptionalObject(payload, "properties", Add);
                if (Text(payload, "parentPageId") is not null && payload["properties"] is JsonObject { Count: > 0 })
                {
                    Add("payload.properties", "a page under a page has only a title; properties need a database parent (parentDatabaseId or parentDataSourceId).");
                }

                break;
            case ProposalTypes.UpdateNotionPage:
                RequireText(payload, "pageId", Add);
                if (payload["properties"] is not JsonObject { Count: > 0 } && Text(payload, "appendText") is null)
                {
                    Add("payload.properties", "give the properties to change (a non-empty object) or appendText.");
                }

                break;
            case ProposalTypes.UpdateAttioRecord:
                RequireText(payload, "object", Add);
                RequireText(payload, "recordId", Add);
                RequireAttioValues(payload, Add);

                break;
            case ProposalTypes.CreateAttioNote:
                RequireText(payload, "parentObject", Add);
                RequireText(payload, "parentRecordId", Add);
                RequireText(payload, "title", Add, max: 1000);
                RequireText(payload, "content", Add, allowEmpty: true);
                break;
            case ProposalTypes.CreateAttioTask:
                RequireText(payload, "content", Add, max: 2000);
                if (payload["deadlineAt"] is not null)
                {
                    RequireTime(payload, "deadlineAt", Add);
                }

                break;
            case ProposalTypes.MessageAgent:
                RequireText(payload, "agentId", Add, max: 200);
                RequireText(payload, "text", Add, max: 20_000);
                break;
            case ProposalTypes.ReplyAgent:
                RequireText(payload, "agentId", Add, max: 200);
                RequireText(payload, "text", Add, max: 20_000);
                foreach (var optional in new[] { "question", "replyTo" }.Where(f => payload[f] is not null))
                {
                    RequireText(payload, optional, Add, allowEmpty: true, max: 20_000);
                }

                break;
            case ProposalTypes.StartOnboarding:
                RequireEmails(payload, "email", required: true, Add);
                if (Emails(payload, "email").Count > 1)
                {
                    Add("payload.email", "one person at a time: give a single email address.");
                }

                RequireText(payload, "name", Add, max: 100);
                break;
            case ProposalTypes.Broadcast:
                RequireText(payload, "text", Add, max: 20_000);
                break;
            case ProposalTypes.CreateAttioRecord:
                RequireText(payload, "object", Add, max: 200);
                RequireAttioValues(payload, Add);

                break;
            case ProposalTypes.CompleteAttioTask:
                RequireText(payload, "taskId", Add, max: 200);
                break;
            case ProposalTypes.ArchiveNotionPage:
                RequireText(payload, "pageId", Add, max: 200);
                break;
            case ProposalTypes.AppendNotionBlocks:
                RequireText(payload, "pageId", Add, max: 200);
                RequireBlocks(payload, Add);
                break;
            case ProposalTypes.UpdateCalendarEvent:
                RequireText(payload, "eventId", Add, max: 1024);
                if (!FieldsOf(type).Any(f => f != "eventId" && payload[f] is not null))
                {
                    Add("payload.summary", "give at least one change: summary, start, end, description, location or attendees.");
                }

                foreach (var text in new[] { "summary", "description", "location" }.Where(f => payload[f] is not null))
                {
                    RequireText(payload, text, Add, allowEmpty: text != "summary", max: text == "description" ? 8000 : 1024);
                }

                var newStart = payload["start"] is null ? null : RequireTime(payload, "start", Add);
                var newEnd = payload["end"] is null ? null : RequireTime(payload, "end", Add);
                if (newStart is not null && newEnd is not null && newEnd <= newStart)
                {
                    Add("payload.end", "end must be after start.");
                }

                RequireEmails(payload, "attendees", required: false, Add);
                break;
            case ProposalTypes.CancelCalendarEvent:
                RequireText(payload, "eventId", Add, max: 1024);
                break;
            case ProposalTypes.RespondCalendarEvent:
                RequireText(payload, "eventId", Add, max: 1024);
                if (Text(payload, "response") is not { } answer || !Integrations.Google.Calendar.CalendarClient.Responses.Contains(answer))
                {
                    Add("payload.response", $"response must be one of: {string.Join(", ", Integrations.Google.Calendar.CalendarClient.Responses)}.");
                }

                break;
            case ProposalTypes.SendGmailDraft:
                // The rest of the payload (what the draft says) is the hub's: read from Gmail when the proposal is made.
                RequireText(payload, "draftId", Add, max: 200);
                break;
            case ProposalTypes.CreateGoogleDoc:
                RequireText(payload, "title", Add, max: MaxDocTitle);
                if (Text(payload, "title") is { } docTitle && docTitle.AsSpan().ContainsAny('\r', '\n'))
                {
                    Add("payload.title", "title cannot contain line breaks.");
                }

                RequireText(payload, "body", Add, allowEmpty: true, max: MaxDocBody);
                if (payload["folderId"] is not null)
                {
                    RequireText(payload, "folderId", Add, max: 200);
                }

                break;
            case ProposalTypes.Grant:
                Entities.GrantRules.Validate(Text(payload, "type"), payload["bounds"] as JsonObject, Int(payload, "maxPerDay"), payload["expiresInDays"] is null ? null : Int(payload, "expiresInDays") ?? 0, errors, "payload.");
                if (payload["bounds"] is not (null or JsonObject))
                {
                    Add("payload.bounds", "bounds must be an object.");
                }

                break;
            default:
                break;
        }

        return errors;
    }

    /// <summary>The payload fields a proposal type uses (what an edit may change).</summary>
    public static IReadOnlyList<string> FieldsOf(string type) => type switch
    {
        ProposalTypes.SendEmail or ProposalTypes.CreateGmailDraft => ["to", "cc", "subject", "body", "replyToMessageId"],

        // What a draft says is read from Gmail; to send another draft, propose again.
        ProposalTypes.SendGmailDraft => [],
        ProposalTypes.CreateGoogleDoc => ["title", "body", "folderId"],
        ProposalTypes.CreateCalendarEvent => ["summary", "start", "end", "description", "location", "attendees"],
        ProposalTypes.CreateNotionPage => ["parentPageId", "parentDatabaseId", "parentDataSourceId", "title", "content", "properties"],
        ProposalTypes.UpdateNotionPage => ["pageId", "properties", "appendText"],
        ProposalTypes.UpdateAttioRecord => ["object", "recordId", "values"],
        ProposalTypes.CreateAttioNote => ["parentObject", "parentRecordId", "title", "content"],
        ProposalTypes.CreateAttioTask => ["content", "deadlineAt"],
        ProposalTypes.MessageAgent => ["agentId", "text"],

        // Whom a reply goes to and what it answers are fixed by the message that asked; only the answer can change.
        ProposalTypes.ReplyAgent => ["text"],
        ProposalTypes.StartOnboarding => ["email", "name"],
        ProposalTypes.Broadcast => ["text"],
        ProposalTypes.Grant => ["bounds", "maxPerDay", "expiresInDays"],
        ProposalTypes.CreateAttioRecord => ["object", "values"],
        ProposalTypes.CompleteAttioTask => ["taskId"],
        ProposalTypes.ArchiveNotionPage => ["pageId"],
        ProposalTypes.AppendNotionBlocks => ["pageId", "blocks"],
        ProposalTypes.UpdateCalendarEvent => ["eventId", "summary", "start", "end", "description", "location", "attendees"],
        ProposalTypes.CancelCalendarEvent => ["eventId"],
        ProposalTypes.RespondCalendarEvent => ["eventId", "response"],
        _ => [],
    };

    /// <summary>Applies an edit: top-level fields of <paramref name="changes"/> replace those of the payload.</summary>
    public static JsonObject ApplyChanges(JsonObject payload, JsonObject changes)
    {
        var edited = (JsonObject)payload.DeepClone();
        foreach (var (key, value) in changes)
        {
            edited[key] = value?.DeepClone();
        }

        return edited;
    }

    public static string? Text(JsonObject payload, string field) =>
        payload[field] is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s : null;

    /// <summary>A whole number field, or null when it is absent or not a whole number.</summary>
    public static int? Int(JsonObject payload, string field) =>
        payload[field] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;

    public static List<string> Emails(JsonObject payload, string field) => payload[field] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
        JsonArray a => a.Select(x => x is JsonValue xv && xv.TryGetValue<string>(out var s) ? s.Trim() : "").ToList(),
        _ => [],
    };

    public static bool IsEmail(string text)
    {
        if (text.Length > 254 || text.Any(char.IsControl) || text.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }

        // Gmail is sent without SMTPUTF8: the part before the @ must be ASCII (the domain may be international).
        var at = text.LastIndexOf('@');
        return at > 0 && text[..at].All(char.IsAscii)
            && MailAddress.TryCreate(text, out var address) && address.Address == text && text.Contains('.', StringComparison.Ordinal);
    }

    private static void RequireText(JsonObject payload, string field, Action<string, string> add, bool allowEmpty = false, int max = 10_000)
    {
        var node = payload[field];
        if (node is not JsonValue v || !v.TryGetValue<string>(out var s))
        {
            add($"payload.{field}", $"{field} is required and must be a string.");
            return;
        }

        if (!allowEmpty && string.IsNullOrWhiteSpace(s))
        {
            add($"payload.{field}", $"{field} cannot be empty.");
        }
        else if (s.Length > max)
        {
            add($"payload.{field}", $"{field} is longer than {max} characters.");
        }
        else if (FreeText.HasControlCharacters(s))
        {
            add($"payload.{field}", $"{field} {FreeText.ControlCharacters}");
        }
    }

    private static void RequireEmails(JsonObject payload, string field, bool required, Action<string, string> add)
    {
        if (payload[field] is null)
        {
            if (required)
            {
                add($"payload.{field}", $"{field} needs at least one email address.");
            }

            return;
        }

        if (payload[field] is not (JsonArray or JsonValue))
        {
            add($"payload.{field}", $"{field} must be an address, a comma-separated list or an array of addresses.");
            return;
        }

        var emails = Emails(payload, field);
        if (required && emails.Count == 0)
        {
            add($"payload.{field}", $"{field} needs at least one email address.");
        }

        foreach (var bad in emails.Where(e => !IsEmail(e)))
        {
            add($"payload.{field}", $"'{bad}' is not a valid email address.");
        }
    }

    private static DateTimeOffset? RequireTime(JsonObject payload, string field, Action<string, string> add)
    {
        if (Text(payload, field) is { } s && DateTimeOffset.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var t))
        {
            return t;
        }

        add($"payload.{field}", $"{field} must be an ISO 8601 date-time, e.g. 2026-11-23T15:00:00Z.");
        return null;
    }

    /// <summary>The longest title of a create_google_doc proposal.</summary>
    public const int MaxDocTitle = 200;

    /// <summary>The most text of a create_google_doc proposal (characters).</summary>
    public const int MaxDocBody = 100_000;

    /// <summary>The most blocks one append_notion_blocks proposal may add (Notion's own limit per request).</summary>
    public const int MaxNotionBlocks = 100;

    /// <summary>The blocks of an append_notion_blocks payload: <c>[{"type": "heading_2", "text": "..."}, {"type": "to_do", "text": "...", "checked": false}]</c>.</summary>
    public static List<Integrations.Notion.NotionBlockDraft> Blocks(JsonObject payload) =>
        (payload["blocks"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(b => new Integrations.Notion.NotionBlockDraft(
                b["type"] is JsonValue t && t.TryGetValue<string>(out var type) ? type : "",
                b["text"] is JsonValue x && x.TryGetValue<string>(out var text) ? text : "",
                b["checked"] is JsonValue c && c.TryGetValue<bool>(out var isChecked) ? isChecked : null))
            .ToList();

    private static void RequireBlocks(JsonObject payload, Action<string, string> add)
    {
        if (payload["blocks"] is not JsonArray { Count: > 0 } blocks)
        {
            add("payload.blocks", "blocks must be a non-empty array of {type, text} objects.");
            return;
        }

        if (blocks.Count > MaxNotionBlocks)
        {
            add("payload.blocks", $"at most {MaxNotionBlocks} blocks at a time.");
        }

        for (var i = 0; i < blocks.Count; i++)
        {
            var field = $"payload.blocks[{i}]";
            if (blocks[i] is not JsonObject block)
            {
                add(field, "a block must be an object with type and text.");
                continue;
            }

            var type = block["type"] is JsonValue t && t.TryGetValue<string>(out var s) ? s : null;
            if (type is null || !Integrations.Notion.NotionBlockDraft.Types.Contains(type))
            {
                add($"{field}.type", $"type must be one of: {string.Join(", ", Integrations.Notion.NotionBlockDraft.Types)}.");
                continue;
            }

            if (type != "divider")
            {
                RequireText(block, "text", (_, message) => add($"{field}.text", message), max: 2000);
            }

            if (block["checked"] is { } check && (type != "to_do" || check.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False)))
            {
                add($"{field}.checked", "checked is a true or false of a to_do block.");
            }
        }
    }

    private static void RequireAttioValues(JsonObject payload, Action<string, string> add)
    {
        if (payload["values"] is not JsonObject { Count: > 0 })
        {
            add("payload.values", "values must be a non-empty object of attribute → value.");
        }
    }

    private static void OptionalObject(JsonObject payload, string field, Action<string, string> add)
    {
        if (payload[field] is not null and not JsonObject)
        {
            add($"payload.{field}", $"{field} must be an object.");
        }
    }
}
