using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Integrations.Attio;
using CompanyHub.Integrations.Google;
using CompanyHub.Integrations.Google.Calendar;
using CompanyHub.Integrations.Google.Files;
using CompanyHub.Integrations.Google.Gmail;
using CompanyHub.Integrations.Mail;
using CompanyHub.Integrations.Notion;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Integrations;

/// <summary>Runs approved proposals with the company tools. Tool errors become results (transient ones with their Retry-After).</summary>
public sealed class ProposalActionRunner(GoogleCredentials google, IGmailClient gmail, ICalendarClient calendar, INotionClient notion, IAttioClient attio, IGoogleFilesClient files) : IProposalActionRunner
{
    /// <summary>The app property that tags a Google Doc with the proposal that created it (a hash of its idempotency key).</summary>
    public const string DocProposalProperty = "companyHubProposal";

    public async Task<ActionResult> RunAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var p = request.Payload;
            switch (request.Type)
            {
                case ProposalTypes.SendEmail:
                    return await google.CallAsync(request.AgentId, null, async (token, email) =>
                {

                    // Every attempt of this approval sends the same Message-ID. An earlier attempt may have reached
                    // Gmail and lost its answer (a timeout, or the host died mid-call): then Gmail already has it.
                    var (gmailId, earlier) = await GmailSendOnce.SendAsync(gmail, token, await EmailAsync(p, token, email, cancellationToken), request.IdempotencyKey, cancellationToken);
                    return new ActionResult(true, earlier ? $"sent (Gmail message {gmailId}; an earlier attempt had already sent it)" : $"sent (Gmail message {gmailId})");
                }, cancellationToken);

                case ProposalTypes.CreateGmailDraft:
                    return await google.CallAsync(request.AgentId, GoogleScopes.GmailCompose, async (token, email) =>
                {
                    // As for send_email: the draft's Message-ID comes from the idempotency key, and an earlier attempt's draft is found by it.
                    var (draft, earlier) = await GmailSendOnce.CreateDraftAsync(gmail, token, await EmailAsync(p, token, email, cancellationToken), request.IdempotencyKey, cancellationToken);
                    return new ActionResult(true, earlier ? $"draft saved (Gmail draft {draft.Id}; an earlier attempt had already saved it)" : $"draft saved (Gmail draft {draft.Id})");
                }, cancellationToken);

                case ProposalTypes.SendGmailDraft:
                    return await google.CallAsync(request.AgentId, GoogleScopes.GmailCompose, (token, _) => SendDraftAsync(token, p, cancellationToken), cancellationToken);

                case ProposalTypes.CreateGoogleDoc:
                    return await google.CallAsync(request.AgentId, GoogleScopes.DriveFile, async (token, _) =>
                {
                    // The Doc is created empty and tagged with the proposal in one request; a retry finds it by the tag
                    // instead of creating a second one, and inserts the text only while the Doc is still empty.
                    var tag = Hash(request.IdempotencyKey);
                    var doc = await files.FindByAppPropertyAsync(token, DocProposalProperty, tag, cancellationToken)
                        ?? await files.CreateDocumentAsync(token, Text(p, "title"), Optional(p, "folderId"), new Dictionary<string, string>(StringComparer.Ordinal) { [DocProposalProperty] = tag }, cancellationToken);
                    var body = Text(p, "body").ReplaceLineEndings("\n");
                    if (body.Length > 0 && (await files.ReadDocumentAsync(token, doc.Id, cancellationToken)).Text.Trim('\n').Length == 0)
                    {
                        await files.InsertTextAsync(token, doc.Id, body, cancellationToken);
                    }

                    return new ActionResult(true, $"created ({doc.WebViewLink ?? doc.Id})");
                }, cancellationToken);

                case ProposalTypes.CreateCalendarEvent:
                    return await google.CallAsync(request.AgentId, null, async (token, _) =>
                {
                    // Every attempt of this approval asks for the same event id: a repeat is refused instead of doubled.
                    var eventId = EventIdFor(request.IdempotencyKey);
                    try
                    {
                        var created = await calendar.InsertEventAsync(token, new NewCalendarEvent
                        {
                            Id = eventId,
                            Summary = Text(p, "summary"),
                            Start = Time(p, "start"),
                            End = Time(p, "end"),
                            Description = Optional(p, "description"),
                            Location = Optional(p, "location"),
                            Attendees = ProposalValidator.Emails(p, "attendees"),
                        }, cancellationToken: cancellationToken);
                        return new ActionResult(true, $"scheduled ({created.HtmlLink ?? created.Id})");
                    }
                    catch (IntegrationException ex) when (ex.StatusCode == System.Net.HttpStatusCode.Conflict)
                    {
                        return new ActionResult(true, $"scheduled (event {eventId}; an earlier attempt had already created it)");
                    }
                }, cancellationToken);

                case ProposalTypes.CreateNotionPage:
                {
                    var (textProperties, rawProperties) = NotionProperties(p);
                    var page = await notion.CreatePageAsync(new NotionPageDraft
                    {
                        ParentPageId = Optional(p, "parentPageId"),
                        ParentDatabaseId = Optional(p, "parentDatabaseId"),
                        ParentDataSourceId = Optional(p, "parentDataSourceId"),
                        Title = Text(p, "title"),
                        Properties = textProperties,
                        RawProperties = rawProperties,
                        Content = Optional(p, "content"),
                    }, cancellationToken);
                    return new ActionResult(true, $"created ({page.Url ?? page.Id})")
                    {
                        Inverse = Inverse(request, InverseActions.ArchiveNotionPage, $"Archive the page \"{Text(p, "title")}\" (move it to Notion's trash).", new JsonObject { ["pageId"] = page.Id }),
                    };
                }

                case ProposalTypes.UpdateNotionPage:
                {
                    var pageId = Text(p, "pageId");
                    JsonObject? previous = null;
                    if (p["properties"] is JsonObject { Count: > 0 } changed)
                    {
                        // Read before writing: the inverse writes these back.
                        previous = request.CaptureInverse ? await notion.GetPropertyValuesAsync(pageId, changed.Select(c => c.Key), cancellationToken) : null;
                        var (textProperties, rawProperties) = NotionProperties(p);
                        await notion.UpdatePageAsync(pageId, new NotionPageUpdate { Properties = textProperties, RawProperties = rawProperties }, cancellationToken);
                    }

                    if (Optional(p, "appendText") is { } text)
                    {
                        await notion.AppendTextAsync(pageId, text, cancellationToken);
                    }

                    var appended = Optional(p, "appendText") is not null ? " The appended text stays: remove it in Notion if you need to." : "";
                    return new ActionResult(true, $"updated page {pageId}")
                    {
                        Inverse = !request.CaptureInverse ? null
                            : previous is { Count: > 0 } ? Inverse(request, InverseActions.RestoreNotionPage, $"Restore the previous values of {string.Join(", ", previous.Select(v => v.Key))}.{appended}", new JsonObject { ["pageId"] = pageId, ["properties"] = previous })
                            : ProposalInverse.NoneBecause("No inverse: the update only appended text, which Notion's API cannot take back here; remove it in Notion if you need to."),
                    };
                }

                case ProposalTypes.UpdateAttioRecord:
                {
                    var values = (JsonObject)p["values"]!.DeepClone();
                    // Read before writing: the inverse writes these back.
                    var previous = request.CaptureInverse ? await attio.GetRecordValuesAsync(Text(p, "object"), Text(p, "recordId"), values.Select(v => v.Key), cancellationToken) : null;
                    var record = await attio.UpdateRecordAsync(Text(p, "object"), Text(p, "recordId"), values, cancellationToken);
                    return new ActionResult(true, $"updated ({record.WebUrl ?? record.Id})")
                    {
                        Inverse = previous is null ? null : Inverse(request, InverseActions.RestoreAttioRecord, $"Restore the previous values of {string.Join(", ", previous.Select(v => v.Key))}.",
                            new JsonObject { ["object"] = Text(p, "object"), ["recordId"] = Text(p, "recordId"), ["values"] = previous }),
                    };
                }

                case ProposalTypes.CreateAttioNote:
                {
                    var note = await attio.CreateNoteAsync(new AttioNoteDraft(new AttioRecordReference(Text(p, "parentObject"), Text(p, "parentRecordId")), Text(p, "title"), Text(p, "content")), cancellationToken);
                    return new ActionResult(true, $"note created ({note.Id})")
                    {
                        Inverse = Inverse(request, InverseActions.DeleteAttioNote, $"Delete the note \"{Text(p, "title")}\".", new JsonObject { ["noteId"] = note.Id }),
                    };
                }

                case ProposalTypes.CreateAttioTask:
                {
                    var task = await attio.CreateTaskAsync(new AttioTaskDraft { Content = Text(p, "content"), DeadlineAt = Optional(p, "deadlineAt") is { } d ? Time(p, "deadlineAt") : null }, cancellationToken);
                    return new ActionResult(true, $"task created ({task.Id})")
                    {
                        Inverse = Inverse(request, InverseActions.DeleteAttioTask, "Delete the task.", new JsonObject { ["taskId"] = task.Id }),
                    };
                }

                case InverseActions.RestoreNotionPage:
                    await notion.UpdatePageAsync(Text(p, "pageId"), new NotionPageUpdate { RawProperties = (JsonObject)p["properties"]!.DeepClone() }, cancellationToken);
                    return new ActionResult(true, $"previous values of page {Text(p, "pageId")} restored");

                case InverseActions.RestoreAttioRecord:
                    await attio.ReplaceRecordValuesAsync(Text(p, "object"), Text(p, "recordId"), (JsonObject)p["values"]!.DeepClone(), cancellationToken);
                    return new ActionResult(true, $"previous values of {Text(p, "object")} record {Text(p, "recordId")} restored");

                case InverseActions.DeleteAttioNote or InverseActions.DeleteAttioTask:
                {
                    var (what, id) = request.Type == InverseActions.DeleteAttioNote ? ("note", Text(p, "noteId")) : ("task", Text(p, "taskId"));
                    try
                    {
                        await (what == "note" ? attio.DeleteNoteAsync(id, cancellationToken) : attio.DeleteTaskAsync(id, cancellationToken));
                        return new ActionResult(true, $"{what} {id} deleted");
                    }
                    catch (IntegrationException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
                    {
                        // An earlier attempt deleted it and lost the answer, or someone deleted it in Attio: it is gone either way.
                        return new ActionResult(true, $"{what} {id} deleted (it was already gone)");
                    }
                }

                case ProposalTypes.UpdateCalendarEvent:
                    return await google.CallAsync(request.AgentId, null, async (token, _) =>
                {
                    var updated = await calendar.UpdateEventAsync(token, Text(p, "eventId"), new CalendarEventChanges
                    {
                        Summary = Optional(p, "summary"),
                        Start = Optional(p, "start") is null ? null : Time(p, "start"),
                        End = Optional(p, "end") is null ? null : Time(p, "end"),
                        Description = p["description"] is null ? null : Text(p, "description"),
                        Location = p["location"] is null ? null : Text(p, "location"),
                        Attendees = p["attendees"] is null ? null : ProposalValidator.Emails(p, "attendees"),
                    }, cancellationToken: cancellationToken);
                    return new ActionResult(true, $"updated ({updated.HtmlLink ?? updated.Id})");
                }, cancellationToken);

                case ProposalTypes.CancelCalendarEvent:
                    return await google.CallAsync(request.AgentId, null, async (token, _) =>
                {
                    var eventId = Text(p, "eventId");
                    return await calendar.CancelEventAsync(token, eventId, cancellationToken: cancellationToken)
                        ? new ActionResult(true, $"cancelled event {eventId}")
                        : new ActionResult(true, $"cancelled event {eventId} (it was already cancelled)");
                }, cancellationToken);

                case ProposalTypes.RespondCalendarEvent:
                    return await google.CallAsync(request.AgentId, null, async (token, email) =>
                {
                    var answered = await calendar.RespondAsync(token, Text(p, "eventId"), email, Text(p, "response"), cancellationToken: cancellationToken);
                    return new ActionResult(true, $"answered {Text(p, "response")} ({answered.HtmlLink ?? answered.Id})");
                }, cancellationToken);

                case ProposalTypes.CreateAttioRecord:
                {
                    var record = await attio.CreateRecordAsync(Text(p, "object"), (JsonObject)p["values"]!.DeepClone(), cancellationToken);
                    return new ActionResult(true, $"created ({record.WebUrl ?? record.Id})");
                }

                case ProposalTypes.CompleteAttioTask:
                {
                    var task = await attio.SetTaskCompletedAsync(Text(p, "taskId"), true, cancellationToken);
                    return new ActionResult(true, $"task {task.Id} completed");
                }

                case ProposalTypes.ArchiveNotionPage: // also the inverse of a page a grant created (InverseActions.ArchiveNotionPage)
                {
                    var page = await notion.UpdatePageAsync(Text(p, "pageId"), new NotionPageUpdate { Archived = true }, cancellationToken);
                    return new ActionResult(true, $"archived page {page.Id}");
                }

                case ProposalTypes.AppendNotionBlocks:
                {
                    var count = await notion.AppendBlocksAsync(Text(p, "pageId"), ProposalValidator.Blocks(p), cancellationToken);
                    return new ActionResult(true, $"appended {count} blocks to page {Text(p, "pageId")}");
                }

                default:
                    return new ActionResult(false, Error: $"The hub cannot run '{request.Type}' actions.");
            }
        }
        catch (ToolNotConfiguredException ex)
        {
            return new ActionResult(false, Error: ex.Message);
        }
        catch (IntegrationException ex)
        {
            return new ActionResult(false, Error: Describe(ex), Transient: ex.IsTransient, RetryAfterSeconds: ex.RetryAfter?.TotalSeconds);
        }
        catch (ArgumentException ex)
        {
            // The client refused the input before calling the service (an unknown Notion property, an address it cannot encode...).
            return new ActionResult(false, Error: ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message);
        }
        catch (Security.SecretBoxException ex)
        {
            return new ActionResult(false, Error: $"The stored Google credential cannot be opened: {ex.Message}");
        }
    }

    /// <summary>A service's failure as the person sees it, with the status and the service's message ("Notion answered 503: ..."), on the card and the API.</summary>
    public static string Describe(IntegrationException ex) =>
        ex is { StatusCode: { } status, ServiceMessage: { } said } ? $"{ex.Service} answered {(int)status}: {said}" : $"{ex.Service}: {ex.ServiceMessage ?? ex.Message}";

    /// <summary>The email of a send_email or create_gmail_draft payload; a reply goes into the original's thread and names its Message-ID (In-Reply-To, References).</summary>
    private async Task<EmailMessage> EmailAsync(JsonObject p, string token, string email, CancellationToken cancellationToken)
    {
        var original = Optional(p, "replyToMessageId") is { } replyTo
            ? await gmail.GetMessageAsync(token, replyTo, GmailMessageFormat.Metadata, cancellationToken)
            : null;
        return new EmailMessage
        {
            From = email,
            To = ProposalValidator.Emails(p, "to"),
            Cc = ProposalValidator.Emails(p, "cc"),
            Subject = Text(p, "subject"),
            Body = Text(p, "body"),
            ThreadId = original?.ThreadId,
            InReplyTo = original?.MessageIdHeader,
        };
    }

    /// <summary>
    /// Sends a draft only if it still holds the message the person approved (Gmail gives a changed draft a new message
    /// id). A draft that is gone was sent — by an earlier attempt whose answer was lost, or in Gmail — when its
    /// Message-ID is in the sent mail; otherwise it was deleted, and nothing is sent.
    /// </summary>
    private async Task<ActionResult> SendDraftAsync(string token, JsonObject p, CancellationToken cancellationToken)
    {
        var draftId = Text(p, "draftId");
        GmailDraft? draft;
        try
        {
            draft = await gmail.GetDraftAsync(token, draftId, GmailMessageFormat.Metadata, cancellationToken);
        }
        catch (IntegrationException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            draft = null;
        }

        if (draft is null)
        {
            if (Optional(p, "messageIdHeader") is { } header
                && (await gmail.SearchAsync(token, $"rfc822msgid:{header.Trim('<', '>')} in:sent", 1, cancellationToken: cancellationToken)).Messages is [var sent, ..])
            {
                return new ActionResult(true, $"sent (Gmail message {sent.Id}; the draft had already been sent)");
            }

            return new ActionResult(false, Error: $"The Gmail draft {draftId} no longer exists (it was deleted in Gmail); nothing was sent.");
        }

        if (draft.Message.Id != Optional(p, "messageId"))
        {
            return new ActionResult(false, Error: $"The Gmail draft {draftId} was changed in Gmail after it was proposed, so it no longer says what you approved; nothing was sent. Propose it again to send it as it is now.");
        }

        var sentNow = await gmail.SendDraftAsync(token, draftId, cancellationToken);
        return new ActionResult(true, $"sent (Gmail message {sentNow.Id})");
    }

    private static string Text(JsonObject p, string field) => ProposalValidator.Text(p, field) ?? "";

    private static ProposalInverse? Inverse(ActionRequest request, string action, string description, JsonObject payload) =>
        request.CaptureInverse ? new ProposalInverse { Action = action, Description = description, Payload = payload } : null;

    /// <summary>A Calendar event id for an idempotency key: hex digits are valid base32hex.</summary>
    private static string EventIdFor(string idempotencyKey) => "hub" + Hash(idempotencyKey);

    /// <summary>40 hex digits of the SHA-256 of an idempotency key.</summary>
    private static string Hash(string idempotencyKey) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(idempotencyKey)))[..40];

    /// <summary>
    /// Splits Notion property values: plain values (<c>"Status": "Done"</c>, as people and models write them) are
    /// converted by the property's type; objects are Notion's own JSON and go as they are.
    /// </summary>
    private static (Dictionary<string, string>? Text, JsonObject? Raw) NotionProperties(JsonObject p)
    {
        if (p["properties"] is not JsonObject { Count: > 0 } properties)
        {
            return (null, null);
        }

        var text = new Dictionary<string, string>(StringComparer.Ordinal);
        var raw = new JsonObject();
        foreach (var (name, value) in properties)
        {
            if (value is JsonValue plain)
            {
                text[name] = plain.TryGetValue<string>(out var s) ? s : plain.ToJsonString();
            }
            else
            {
                raw[name] = value?.DeepClone();
            }
        }

        return (text.Count > 0 ? text : null, raw.Count > 0 ? raw : null);
    }

    private static string? Optional(JsonObject p, string field) => ProposalValidator.Text(p, field);

    private static DateTimeOffset Time(JsonObject p, string field) => DateTimeOffset.Parse(Text(p, field), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}

/// <summary>Runs read tools (free) for an agent: Gmail and Calendar with the person's account, Notion and Attio with the company keys.</summary>
public sealed class ReadToolRunner(GoogleCredentials google, IGmailClient gmail, ICalendarClient calendar, INotionClient notion, IAttioClient attio, IGoogleFilesClient files, ToolAvailability tools, Storage.IKnowledgeBase knowledge) : IReadToolRunner
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public async Task<string> RunAsync(string agentId, string tool, JsonObject arguments, CancellationToken cancellationToken)
    {
        object result = tool switch
        {
            "gmail_search" => await GmailSearchAsync(agentId, arguments, cancellationToken),
            "gmail_read" => await GmailReadAsync(agentId, arguments, cancellationToken),
            "gmail_list_drafts" => await GmailDraftsAsync(agentId, arguments, cancellationToken),
            "calendar_list_events" => await CalendarAsync(agentId, arguments, cancellationToken),
            "calendar_free_busy" => await FreeBusyAsync(agentId, arguments, cancellationToken),
            "notion_search" => (await notion.SearchAsync(Required(arguments, "query"), cancellationToken: cancellationToken)).Items,
            "notion_query_database" => (await notion.QueryDatabaseAsync(Required(arguments, "databaseId"), arguments["filter"] as JsonObject, cancellationToken: cancellationToken)).Items,
            "notion_read_page" => await NotionPageAsync(arguments, cancellationToken),
            "attio_query_records" => await attio.QueryRecordsAsync(Required(arguments, "object"), arguments["filter"] as JsonObject, limit: Int(arguments, "limit", 10, 50), cancellationToken: cancellationToken),
            "attio_get_record" => await attio.GetRecordAsync(Required(arguments, "object"), Required(arguments, "recordId"), cancellationToken),
            "drive_search" => await WithGoogleAsync(agentId, tool, GoogleScopes.DriveReadonly, t => files.SearchFilesAsync(t, Required(arguments, "query"), Int(arguments, "maxResults", 10, 25), cancellationToken), cancellationToken),
            "docs_read" => await WithGoogleAsync(agentId, tool, GoogleScopes.DocumentsReadonly, t => files.ReadDocumentAsync(t, Required(arguments, "documentId"), cancellationToken), cancellationToken),
            "sheets_read" => await WithGoogleAsync(agentId, tool, GoogleScopes.SpreadsheetsReadonly, t => files.ReadRangeAsync(t, Required(arguments, "spreadsheetId"), Required(arguments, "range"), cancellationToken), cancellationToken),
            "contacts_search" => await WithGoogleAsync(agentId, tool, GoogleScopes.ContactsReadonly, t => files.SearchContactsAsync(t, Required(arguments, "query"), Int(arguments, "maxResults", 10, 30), cancellationToken), cancellationToken),
            // The company knowledge base.
            "search_knowledge" => await knowledge.SearchAsync(Required(arguments, "query"), Int(arguments, "limit", 5, 20), cancellationToken),
            "read_knowledge_page" => await knowledge.GetAsync(Required(arguments, "pageId"), cancellationToken) is { } page
                ? new { page.Id, page.Title, page.Body, page.Source, page.UpdatedAt }
                : throw new ArgumentException($"There is no knowledge page '{ProposalValidator.Text(arguments, "pageId")}'; use search_knowledge."),
            "attio_list_tasks" => await attio.ListTasksAsync(TaskStatus(arguments), Record(arguments), Int(arguments, "limit", 20, 50), cancellationToken: cancellationToken),
            "attio_list_notes" => await attio.ListNotesAsync(Record(arguments), Int(arguments, "limit", 10, 50), cancellationToken: cancellationToken),
            _ => throw new ArgumentException($"'{tool}' is not a read tool."),
        };
        return JsonSerializer.Serialize(result, Json);
    }

    private Task<object> GmailSearchAsync(string agentId, JsonObject arguments, CancellationToken cancellationToken) => google.CallAsync<object>(agentId, null, async (token, _) =>
    {
        var found = await gmail.SearchAsync(token, Required(arguments, "query"), Int(arguments, "maxResults", 10, 25), cancellationToken: cancellationToken);
        if (found.Messages.Count == 0)
        {
            return found;
        }

        // Labels by name ("Clients/Acme"), not Gmail's ids ("Label_12").
        var names = await gmail.ListLabelsAsync(token, cancellationToken);
        return found with { Messages = [.. found.Messages.Select(m => m with { Labels = LabelNames(m.Labels, names) })] };
    }, cancellationToken);

    private Task<object> GmailReadAsync(string agentId, JsonObject arguments, CancellationToken cancellationToken) => google.CallAsync<object>(agentId, null, async (token, _) =>
    {
        var message = await gmail.GetMessageAsync(token, Required(arguments, "messageId"), cancellationToken: cancellationToken);
        return message with { Labels = LabelNames(message.Labels, await gmail.ListLabelsAsync(token, cancellationToken)) };
    }, cancellationToken);

    private Task<object> GmailDraftsAsync(string agentId, JsonObject arguments, CancellationToken cancellationToken) => google.CallAsync<object>(agentId, null, async (token, _) =>
    {
        var drafts = await gmail.ListDraftsAsync(token, ProposalValidator.Text(arguments, "query") ?? "", Int(arguments, "maxResults", 10, 25), cancellationToken);
        return drafts.Select(d => new { d.Id, d.Message.To, d.Message.Cc, d.Message.Subject, d.Message.Snippet, Updated = d.Message.Date });
    }, cancellationToken);

    private static string[] LabelNames(IReadOnlyList<string> ids, IReadOnlyDictionary<string, string> names) =>
        [.. ids.Select(id => names.GetValueOrDefault(id, id))];

    private Task<object> CalendarAsync(string agentId, JsonObject arguments, CancellationToken cancellationToken) => google.CallAsync<object>(agentId, null, async (token, _) =>
    {
        var from = ProposalValidator.Text(arguments, "timeMin") is { } min ? DateTimeOffset.Parse(min, CultureInfo.InvariantCulture) : DateTimeOffset.UtcNow;
        var to = ProposalValidator.Text(arguments, "timeMax") is { } max ? DateTimeOffset.Parse(max, CultureInfo.InvariantCulture) : from.AddDays(7);
        return await calendar.ListEventsAsync(token, from, to, maxResults: Int(arguments, "maxResults", 20, 50), cancellationToken: cancellationToken);
    }, cancellationToken);

    /// <summary>A read of the person's Drive, Docs, Sheets or Contacts: on at this hub, granted by the person, with a fresh token.</summary>
    private async Task<object> WithGoogleAsync<T>(string agentId, string tool, string scope, Func<string, Task<T>> read, CancellationToken cancellationToken)
        where T : notnull
    {
        if (tools.WhyNotRead(tool) is { } off)
        {
            throw new ToolNotConfiguredException("Google", off);
        }

        return await google.CallAsync<object>(agentId, scope, async (token, _) => (object)await read(token), cancellationToken);
    }

    private async Task<object> FreeBusyAsync(string agentId, JsonObject arguments, CancellationToken cancellationToken)
    {
        var emails = ProposalValidator.Emails(arguments, "emails");
        if (emails.Count == 0)
        {
            throw new ArgumentException("'emails' needs at least one address.");
        }

        if (emails.FirstOrDefault(e => !ProposalValidator.IsEmail(e)) is { } bad)
        {
            throw new ArgumentException($"'{bad}' is not a valid email address.");
        }

        var from = ProposalValidator.Text(arguments, "timeMin") is { } min ? DateTimeOffset.Parse(min, CultureInfo.InvariantCulture) : DateTimeOffset.UtcNow;
        var to = ProposalValidator.Text(arguments, "timeMax") is { } max ? DateTimeOffset.Parse(max, CultureInfo.InvariantCulture) : from.AddDays(1);
        return await google.CallAsync<object>(agentId, null, async (token, _) => await calendar.FreeBusyAsync(token, emails, from, to, cancellationToken), cancellationToken);
    }

    private async Task<object> NotionPageAsync(JsonObject arguments, CancellationToken cancellationToken)
    {
        var id = Required(arguments, "pageId");
        var page = await notion.GetPageAsync(id, cancellationToken);
        var text = await notion.GetPageTextAsync(id, cancellationToken: cancellationToken);
        return new { page, text };
    }

    private static string Required(JsonObject arguments, string field) =>
        ProposalValidator.Text(arguments, field) ?? throw new ArgumentException($"'{field}' is required.");

    /// <summary>The record a listing is narrowed to: <c>object</c> and <c>recordId</c> together, or neither.</summary>
    private static AttioRecordReference? Record(JsonObject arguments) =>
        (ProposalValidator.Text(arguments, "object"), ProposalValidator.Text(arguments, "recordId")) switch
        {
            (null, null) => null,
            ({ } o, { } r) => new AttioRecordReference(o, r),
            _ => throw new ArgumentException("give both 'object' and 'recordId', or neither."),
        };

    private static bool? TaskStatus(JsonObject arguments) => ProposalValidator.Text(arguments, "status") switch
    {
        null or "open" => false,
        "completed" => true,
        "all" => null,
        var other => throw new ArgumentException($"'status' is open, completed or all, not '{other}'."),
    };

    private static int Int(JsonObject arguments, string field, int fallback, int max) =>
        arguments[field] is JsonValue v && v.TryGetValue<int>(out var n) ? Math.Clamp(n, 1, max) : fallback;
}

/// <summary>Sends onboarding emails from the company's sender mailbox (<see cref="CompanySender"/>).</summary>
public sealed class GmailOnboardingMailer(CompanySender sender, Microsoft.Extensions.Options.IOptions<Security.HubOptions> options) : IOnboardingMailer
{
    public Task<string?> SendInviteAsync(string email, string name, string inviteLink, DateTimeOffset expiresAt, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync(email, $"Your invitation to {options.Value.CompanyName}",
            $"Hi {name},\r\n\r\nYou are invited to get your own assistant at {options.Value.CompanyName}. Open this link and sign in with your Google account ({email}) to set it up:\r\n\r\n{inviteLink}\r\n\r\nThe link works until {expiresAt:yyyy-MM-dd HH:mm} UTC.\r\n", idempotencyKey, cancellationToken);

    public Task<string?> SendReadyAsync(string email, string name, string dashboardLink, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync(email, $"Your {options.Value.CompanyName} assistant is ready",
            $"Hi {name},\r\n\r\nYour assistant is ready. This is your private dashboard link — keep it to yourself, anyone with it reaches your agent:\r\n\r\n{dashboardLink}\r\n", idempotencyKey, cancellationToken);

    private async Task<string?> SendAsync(string to, string subject, string body, string idempotencyKey, CancellationToken cancellationToken)
    {
        try
        {
            await sender.SendAsync(to, subject, body, idempotencyKey, cancellationToken);
            return null;
        }
        catch (Exception ex) when (CompanySender.WhyNotSent(ex) is { } why)
        {
            // Not configured, or Google refused: the onboarding goes on and tells the admin (who can resend or share the link).
            return why;
        }
    }
}
