using System.Text.Json.Nodes;
using CompanyHub.Integrations.Llm;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Orchestrations.Agents;

/// <summary>How a tool is gated: reads run at once; writes become proposals; spawn starts a background turn.</summary>
public enum ToolClass
{
    Read,
    Write,
    Spawn,
    Directory,

    /// <summary>The agent's own memory: internal, kept at once (the person sees and deletes it); never in a turn another agent started.</summary>
    Memory,
}

/// <summary>A tool the agents' model may call.</summary>
public sealed record ToolSpec(string Name, string Description, string Schema, ToolClass Class, string? ProposalType = null, string? Requires = null)
{
    public LlmTool ToLlmTool() => new(Name, Description, Schema);
}

/// <summary>The tool catalog. Descriptions say precisely what each tool does and whether it needs approval.</summary>
public static class AgentTools
{
    public const int ResultBudget = 6000;

    /// <summary>The read tools that use the company's keys rather than the person's own account.</summary>
    private static readonly string?[] CompanyTools = ["notion", "attio"];

    /// <summary>What the knowledge base tools require: nothing of the person's, so every turn may read it.</summary>
    public const string Knowledge = "knowledge";

    public static IReadOnlyList<ToolSpec> All { get; } =
    [
        Read("gmail_search", "Search the person's Gmail (read-only, no approval). Uses Gmail search syntax, e.g. 'from:sarah@acme.com newer_than:7d'. Returns id, from, subject, date and snippet per message.",
            Obj(("query", Str("Gmail search query")), ("maxResults", Int("How many messages, 1-25 (default 10)"))), ["query"], "google"),
        Read("gmail_read", "Read one Gmail message in full by id (read-only, no approval).", Obj(("messageId", Str("The message id from gmail_search"))), ["messageId"], "google"),
        Read("gmail_list_drafts", "List the person's Gmail drafts, newest first (read-only, no approval): draft id, to, subject, snippet and when it was last changed. Optional Gmail search query.",
            Obj(("query", Str("Optional Gmail search query, e.g. 'to:sarah@acme.com'")), ("maxResults", Int("How many drafts, 1-25 (default 10)"))), [], "google"),
        Read("calendar_list_events", "List events on the person's primary Google Calendar between two times (read-only).",
            Obj(("timeMin", Str("ISO 8601 start, default now")), ("timeMax", Str("ISO 8601 end, default in 7 days")), ("maxResults", Int("1-50, default 20"))), [], "calendar"),
        Read("notion_search", "Search the company Notion workspace for pages and databases by title (read-only).", Obj(("query", Str("Words to search for"))), ["query"], "notion"),
        Read("notion_query_database", "Query the rows of a Notion database (read-only).", Obj(("databaseId", Str("The database id")), ("filter", Any("Optional Notion filter object"))), ["databaseId"], "notion"),
        Read("notion_read_page", "Read a Notion page's properties and text (read-only).", Obj(("pageId", Str("The page id"))), ["pageId"], "notion"),
        Read("attio_query_records", "Query Attio CRM records of an object: people, companies or deals (read-only).",
            Obj(("object", Str("people, companies or deals")), ("filter", Any("Optional Attio filter object")), ("limit", Int("1-50, default 10"))), ["object"], "attio"),
        Read("attio_get_record", "Get one Attio record with its values (read-only).", Obj(("object", Str("people, companies or deals")), ("recordId", Str("The record id"))), ["object", "recordId"], "attio"),
        // The person's Drive, Docs, Sheets and Contacts (on when the admin sets GOOGLE_DRIVE / GOOGLE_CONTACTS).
        Read("drive_search", "Search the person's Google Drive for files whose name or text contains the words (read-only). Returns id, name, type, modified time and link.",
            Obj(("query", Str("Words to look for")), ("maxResults", Int("1-25, default 10"))), ["query"], "drive"),
        Read("docs_read", "Read a Google Doc's text by its document id (read-only; the id is in drive_search results or the Doc's URL).", Obj(("documentId", Str("The document id"))), ["documentId"], "drive"),
        Read("sheets_read", "Read a range of a Google Sheet (read-only), e.g. range 'Sheet1!A1:D20'.", Obj(("spreadsheetId", Str("The spreadsheet id")), ("range", Str("A1 range, e.g. Sheet1!A1:D20"))), ["spreadsheetId", "range"], "drive"),
        Read("contacts_search", "Search the person's Google Contacts by name, email or phone (read-only).", Obj(("query", Str("Name, email or phone prefix")), ("maxResults", Int("1-30, default 10"))), ["query"], "contacts"),
        // The company knowledge base (admin-managed, every agent reads it) and the agent's own memory.
        Read("search_knowledge", "Search the company knowledge base (pages the admin added or synced from Notion) by words; read-only, no approval. Returns page ids, titles and matching snippets.",
            Obj(("query", Str("Words to search for")), ("limit", Int("1-20, default 5"))), ["query"], Knowledge),
        Read("read_knowledge_page", "Read one knowledge base page in full by id (read-only, no approval).", Obj(("pageId", Str("The page id from search_knowledge"))), ["pageId"], Knowledge),
        new("remember", $"Remember a fact your person asked you to remember (their preferences, standing facts). Kept at once in your private memory, which they see and can delete; at most {Entities.AgentState.MaxMemoryText} characters. Only when they ask.",
            Schema(Obj(("fact", Str("The fact, in one sentence"))), ["fact"]), ToolClass.Memory),

        // More of Google Calendar (issue 21): reads.
        Read("calendar_free_busy", "When colleagues are busy (read-only): their calendars' busy spans between two times, for finding a slot. No event details.",
            Obj(("emails", Str("Colleagues' email addresses, comma-separated (up to 50)")), ("timeMin", Str("ISO 8601 start, default now")), ("timeMax", Str("ISO 8601 end, default in 1 day"))), ["emails"], "calendar"),

        // More of Attio and Notion (issue 21): reads.
        Read("attio_list_tasks", "List Attio tasks, newest first (read-only): open ones by default; optionally only those linked to one record.",
            Obj(("status", Str("open (default), completed or all")), ("object", Str("Optional: the linked record's object")), ("recordId", Str("Optional: the linked record's id")), ("limit", Int("1-50, default 20"))), [], "attio"),
        Read("attio_list_notes", "List Attio notes with their text (read-only), optionally only those of one record.",
            Obj(("object", Str("Optional: people, companies or deals")), ("recordId", Str("Optional: the record id")), ("limit", Int("1-50, default 10"))), [], "attio"),
        new("list_agents", "List the company's agents (id, name, email, status): use it to find who to ask.", Schema(Obj(), []), ToolClass.Directory),
        Write("send_email", ProposalTypes.SendEmail, "Propose an email from the person's Gmail. Needs the person's approval; it is sent only if they approve.",
            Obj(("to", Str("Recipient address(es), comma-separated")), ("cc", Str("Optional Cc addresses")), ("subject", Str("Subject")), ("body", Str("Plain-text body")),
                ("replyToMessageId", Str("Optional: the Gmail message id (from gmail_search) this answers; the email goes into its thread"))), ["to", "subject", "body"]),
        Write("create_gmail_draft", ProposalTypes.CreateGmailDraft, "Propose saving an email as a draft in the person's Gmail (nothing is sent; they can finish it in Gmail). Needs approval.",
            Obj(("to", Str("Recipient address(es), comma-separated")), ("cc", Str("Optional Cc addresses")), ("subject", Str("Subject")), ("body", Str("Plain-text body")),
                ("replyToMessageId", Str("Optional: the Gmail message id (from gmail_search) this answers; the draft goes into its thread"))), ["to", "subject", "body"]),
        Write("send_gmail_draft", ProposalTypes.SendGmailDraft, "Propose sending one of the person's Gmail drafts as it is (its id from gmail_list_drafts). The hub reads the draft for the approval card; if it changes before approval, nothing is sent. Needs approval.",
            Obj(("draftId", Str("The draft id from gmail_list_drafts"))), ["draftId"]),
        Write("create_google_doc", ProposalTypes.CreateGoogleDoc, "Propose a new Google Doc in the person's Drive with a title and plain text. Needs approval.",
            Obj(("title", Str("The document's title")), ("body", Str("The document's text")), ("folderId", Str("Optional Drive folder id"))), ["title", "body"]),
        Write("create_calendar_event", ProposalTypes.CreateCalendarEvent, "Propose a Google Calendar event. Needs approval.",
            Obj(("summary", Str("Title")), ("start", Str("ISO 8601 start")), ("end", Str("ISO 8601 end")), ("attendees", Str("Optional attendee emails, comma-separated")), ("description", Str("Optional")), ("location", Str("Optional"))), ["summary", "start", "end"]),
        Write("create_notion_page", ProposalTypes.CreateNotionPage, "Propose a new Notion page under a page or database. Needs approval.",
            Obj(("parentPageId", Str("Parent page id (or give parentDatabaseId)")), ("parentDatabaseId", Str("Parent database id")), ("title", Str("Title")), ("content", Str("Optional text content")), ("properties", Any("Optional database properties"))), ["title"]),
        Write("update_notion_page", ProposalTypes.UpdateNotionPage, "Propose changes to a Notion page's properties and/or appended text. Needs approval.",
            Obj(("pageId", Str("The page id")), ("properties", Any("Properties to set")), ("appendText", Str("Optional text to append"))), ["pageId"]),
        Write("update_attio_record", ProposalTypes.UpdateAttioRecord, "Propose an update of an Attio record's attribute values. Needs approval.",
            Obj(("object", Str("people, companies or deals")), ("recordId", Str("The record id")), ("values", Any("Attribute slug → new value"))), ["object", "recordId", "values"]),
        Write("create_attio_note", ProposalTypes.CreateAttioNote, "Propose a note on an Attio record. Needs approval.",
            Obj(("parentObject", Str("people, companies or deals")), ("parentRecordId", Str("The record id")), ("title", Str("Title")), ("content", Str("Text"))), ["parentObject", "parentRecordId", "title", "content"]),
        Write("create_attio_task", ProposalTypes.CreateAttioTask, "Propose an Attio task. Needs approval.",
            Obj(("content", Str("What to do")), ("deadlineAt", Str("Optional ISO 8601 deadline"))), ["content"]),

        // More of Google Calendar (issue 21): proposals.
        Write("update_calendar_event", ProposalTypes.UpdateCalendarEvent, "Propose changing an event on the person's calendar (only the fields given change; attendees replaces the guest list). Guests are told. Needs approval.",
            Obj(("eventId", Str("The event id from calendar_list_events")), ("summary", Str("Optional new title")), ("start", Str("Optional new ISO 8601 start")), ("end", Str("Optional new ISO 8601 end")),
                ("attendees", Str("Optional: the whole new guest list, comma-separated")), ("description", Str("Optional")), ("location", Str("Optional"))), ["eventId"]),
        Write("cancel_calendar_event", ProposalTypes.CancelCalendarEvent, "Propose cancelling an event on the person's calendar; guests are told. Needs approval.",
            Obj(("eventId", Str("The event id from calendar_list_events"))), ["eventId"]),
        Write("respond_calendar_event", ProposalTypes.RespondCalendarEvent, "Propose answering an invitation on the person's calendar: accepted, declined or tentative. The organizer is told. Needs approval.",
            Obj(("eventId", Str("The event id from calendar_list_events")), ("response", Str("accepted, declined or tentative"))), ["eventId", "response"]),

        // More of Attio and Notion (issue 21): proposals.
        Write("create_attio_record", ProposalTypes.CreateAttioRecord, "Propose a new Attio record (a person, company or deal) with attribute values in Attio's shape. Needs approval.",
            Obj(("object", Str("people, companies or deals")), ("values", Any("Attribute slug → value, e.g. {\"name\": \"Acme\", \"domains\": [\"acme.com\"]}"))), ["object", "values"]),
        Write("complete_attio_task", ProposalTypes.CompleteAttioTask, "Propose marking an Attio task completed (its id from attio_list_tasks). Needs approval.",
            Obj(("taskId", Str("The task id"))), ["taskId"]),
        Write("archive_notion_page", ProposalTypes.ArchiveNotionPage, "Propose archiving a Notion page (it moves to Notion's trash and can be restored there). Needs approval.",
            Obj(("pageId", Str("The page id"))), ["pageId"]),
        Write("append_notion_blocks", ProposalTypes.AppendNotionBlocks, "Propose appending structured blocks to a Notion page: headings, to-dos, bullets, numbered items, quotes, paragraphs, dividers. Needs approval.",
            Obj(("pageId", Str("The page id")), ("blocks", Arr("The blocks in order: {type, text, checked?}; type is paragraph, heading_1, heading_2, heading_3, bulleted_list_item, numbered_list_item, to_do (checked true/false), quote or divider"))), ["pageId", "blocks"]),

        Write("sessions_send", ProposalTypes.MessageAgent, "Send a message to another agent (a colleague's agent, or 'orchestrator' to escalate). Needs the person's approval; the peer's answer arrives in the inbox.",
            Obj(("agentId", Str("The agent id, e.g. bob-company-com or orchestrator")), ("message", Str("The message"))), ["agentId", "message"]),
        Write("start_onboarding", ProposalTypes.StartOnboarding, "Orchestrator only: propose inviting a person (their work email and name). The admin approves; then the invite is emailed and the onboarding runs.",
            Obj(("email", Str("The person's work email")), ("name", Str("The person's name"))), ["email", "name"]),
        Write("broadcast", ProposalTypes.Broadcast, "Orchestrator only: propose an announcement to every active agent. The admin approves.",
            Obj(("text", Str("The announcement"))), ["text"]),
        new("sessions_spawn", "Start a background task for yourself (research, summarising); its result is posted to the conversation when done. Does not block.",
            Schema(Obj(("task", Str("What to do, in full"))), ["task"]), ToolClass.Spawn),
    ];

    public static ToolSpec? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>The tools an agent is offered: the orchestrator also gets onboarding and broadcast.</summary>
    public static IReadOnlyList<ToolSpec> For(string agentId) =>
        agentId == SystemPrompts.OrchestratorId ? All : All.Where(t => t.ProposalType is null || !ProposalTypes.OrchestratorOnly.Contains(t.ProposalType)).ToList();

    /// <summary>
    /// The tools of one turn. A turn another agent started (a peer's message, a broadcast) works for someone other than
    /// the person: it never reads the person's own accounts (Gmail, Calendar — for the orchestrator, the sender
    /// mailbox), reads the company's Notion and Attio only when the person allows it, reads the company knowledge base
    /// (shared with every agent anyway), neither reads nor writes the agent's memory, and starts no background task
    /// (which would run with every tool).
    /// </summary>
    public static IReadOnlyList<ToolSpec> For(Entities.AgentState agent, string source) =>
        !StartedByAnotherAgent(source)
            ? For(agent.AgentId)
            : For(agent.AgentId).Where(t => t.Class switch
            {
                ToolClass.Read => t.Requires == Knowledge || (CompanyTools.Contains(t.Requires) && agent.CompanyToolsForAgents),
                ToolClass.Spawn or ToolClass.Memory => false,
                _ => true,
            }).ToList();

    /// <summary>Whether a turn of this source answers another agent rather than the agent's own person.</summary>
    public static bool StartedByAnotherAgent(string source) => source is TurnSource.Peer or TurnSource.Broadcast;

    /// <summary>Turns a write tool's arguments into the proposal payload of its type.</summary>
    public static JsonObject ToPayload(ToolSpec tool, JsonObject arguments)
    {
        var payload = (JsonObject)arguments.DeepClone();
        if (tool.Name == "sessions_send")
        {
            payload.Remove("message");
            payload["text"] = arguments["message"]?.DeepClone();
        }

        return payload;
    }

    /// <summary>Cuts a tool result to the budget the model gets.</summary>
    public static string Truncate(string text) =>
        text.Length <= ResultBudget ? text : string.Concat(text.AsSpan(0, ResultBudget), $"\n…(truncated: {text.Length - ResultBudget} more characters)");

    private static ToolSpec Read(string name, string description, JsonObject properties, string[] required, string requires) =>
        new(name, description, Schema(properties, required), ToolClass.Read, Requires: requires);

    private static ToolSpec Write(string name, string type, string description, JsonObject properties, string[] required) =>
        new(name, description, Schema(properties, required), ToolClass.Write, type);

    private static string Schema(JsonObject properties, string[] required) => new JsonObject
    {
        ["type"] = "object",
        ["properties"] = properties,
        ["required"] = new JsonArray([.. required.Select(r => (JsonNode)r)]),
        ["additionalProperties"] = false,
    }.ToJsonString();

    private static JsonObject Obj(params (string Name, JsonObject Schema)[] properties)
    {
        var o = new JsonObject();
        foreach (var (name, schema) in properties)
        {
            o[name] = schema;
        }

        return o;
    }

    private static JsonObject Str(string description) => new() { ["type"] = "string", ["description"] = description };

    private static JsonObject Int(string description) => new() { ["type"] = "integer", ["description"] = description };

    private static JsonObject Any(string description) => new() { ["type"] = "object", ["description"] = description };

    private static JsonObject Arr(string description) => new()
    {
        ["type"] = "array",
        ["description"] = description,
        ["items"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["type"] = Str("Block type"), ["text"] = Str("Block text"), ["checked"] = new JsonObject { ["type"] = "boolean", ["description"] = "to_do only" } },
            ["required"] = new JsonArray("type"),
        },
    };
}
