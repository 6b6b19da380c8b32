using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CompanyHub.Activities;
using CompanyHub.Entities;
using CompanyHub.Integrations.Attio;
using CompanyHub.Integrations.Google.Calendar;
using CompanyHub.Integrations.Google.Gmail;
using CompanyHub.Integrations.Mail;
using CompanyHub.Integrations.Notion;
using CompanyHub.Orchestrations.Approvals;

namespace CompanyHub.Integrations;

/// <summary>Runs approved proposals with the company tools. Tool errors become results (transient ones with their Retry-After).</summary>
public sealed class ProposalActionRunner(GoogleCredentials google, IGmailClient gmail, ICalendarClient calendar, INotionClient notion, IAttioClient attio) : IProposalActionRunner
{
    public async Task<ActionResult> RunAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var p = request.Payload;
            switch (request.Type)
            {
                case ProposalTypes.SendEmail:
                {
                    var (token, email) = await google.AccessTokenAsync(request.AgentId, cancellationToken);

                    // Every attempt of this approval sends the same Message-ID. An earlier attempt may have reached
                    // Gmail and lost its answer (a timeout, or the host died mid-call): then Gmail already has it.
                    var (gmailId, earlier) = await GmailSendOnce.SendAsync(gmail, token, new EmailMessage
                    {
                        From = email,
                        To = ProposalValidator.Emails(p, "to"),
                        Cc = ProposalValidator.Emails(p, "cc"),
                        Subject = Text(p, "subject"),
                        Body = Text(p, "body"),
                    }, request.IdempotencyKey, cancellationToken);
                    return new ActionResult(true, earlier ? $"sent (Gmail message {gmailId}; an earlier attempt had already sent it)" : $"sent (Gmail message {gmailId})");
                }

                case ProposalTypes.CreateCalendarEvent:
                {
                    var (token, _) = await google.AccessTokenAsync(request.AgentId, cancellationToken);

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
                }

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
                    return new ActionResult(true, $"created ({page.Url ?? page.Id})");
                }

                case ProposalTypes.UpdateNotionPage:
                {
                    var pageId = Text(p, "pageId");
                    if (p["properties"] is JsonObject { Count: > 0 })
                    {
                        var (textProperties, rawProperties) = NotionProperties(p);
                        await notion.UpdatePageAsync(pageId, new NotionPageUpdate { Properties = textProperties, RawProperties = rawProperties }, cancellationToken);
                    }

                    if (Optional(p, "appendText") is { } text)
                    {
                        await notion.AppendTextAsync(pageId, text, cancellationToken);
                    }

                    return new ActionResult(true, $"updated page {pageId}");
                }

                case ProposalTypes.UpdateAttioRecord:
                {
                    var record = await attio.UpdateRecordAsync(Text(p, "object"), Text(p, "recordId"), (JsonObject)p["values"]!.DeepClone(), cancellationToken);
                    return new ActionResult(true, $"updated ({record.WebUrl ?? record.Id})");
                }

                case ProposalTypes.CreateAttioNote:
                {
                    var note = await attio.CreateNoteAsync(new AttioNoteDraft(new AttioRecordReference(Text(p, "parentObject"), Text(p, "parentRecordId")), Text(p, "title"), Text(p, "content")), cancellationToken);
                    return new ActionResult(true, $"note created ({note.Id})");
                }

                case ProposalTypes.CreateAttioTask:
                {
                    var task = await attio.CreateTaskAsync(new AttioTaskDraft { Content = Text(p, "content"), DeadlineAt = Optional(p, "deadlineAt") is { } d ? Time(p, "deadlineAt") : null }, cancellationToken);
                    return new ActionResult(true, $"task created ({task.Id})");
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
            // The person sees the service's status with its message ("Notion answered 503: ..."), on the card and the API.
            var error = ex is { StatusCode: { } status, ServiceMessage: { } said } ? $"{ex.Service} answered {(int)status}: {said}" : $"{ex.Service}: {ex.ServiceMessage ?? ex.Message}";
            return new ActionResult(false, Error: error, Transient: ex.IsTransient, RetryAfterSeconds: ex.RetryAfter?.TotalSeconds);
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

    private static string Text(JsonObject p, string field) => ProposalValidator.Text(p, field) ?? "";

    /// <summary>A Calendar event id for an idempotency key: hex digits are valid base32hex.</summary>
    private static string EventIdFor(string idempotencyKey) =>
        "hub" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(idempotencyKey)))[..40];

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
public sealed class ReadToolRunner(GoogleCredentials google, IGmailClient gmail, ICalendarClient calendar, INotionClient notion, IAttioClient attio) : IReadToolRunner
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public async Task<string> RunAsync(string agentId, string tool, JsonObject arguments, CancellationToken cancellationToken)
    {
        object result = tool switch
        {
            "gmail_search" => await GmailSearchAsync(agentId, arguments, cancellationToken),
            "gmail_read" => await GmailReadAsync(agentId, arguments, cancellationToken),
            "calendar_list_events" => await CalendarAsync(agentId, arguments, cancellationToken),
            "notion_search" => (await notion.SearchAsync(Required(arguments, "query"), cancellationToken: cancellationToken)).Items,
            "notion_query_database" => (await notion.QueryDatabaseAsync(Required(arguments, "databaseId"), arguments["filter"] as JsonObject, cancellationToken: cancellationToken)).Items,
            "notion_read_page" => await NotionPageAsync(arguments, cancellationToken),
            "attio_query_records" => await attio.QueryRecordsAsync(Required(arguments, "object"), arguments["filter"] as JsonObject, limit: Int(arguments, "limit", 10, 50), cancellationToken: cancellationToken),
            "attio_get_record" => await attio.GetRecordAsync(Required(arguments, "object"), Required(arguments, "recordId"), cancellationToken),
            _ => throw new ArgumentException($"'{tool}' is not a read tool."),
        };
        return JsonSerializer.Serialize(result, Json);
    }

    private async Task<object> GmailSearchAsync(string agentId, JsonObject arguments, CancellationToken cancellationToken)
    {
        var (token, _) = await google.AccessTokenAsync(agentId, cancellationToken);
        return await gmail.SearchAsync(token, Required(arguments, "query"), Int(arguments, "maxResults", 10, 25), cancellationToken: cancellationToken);
    }

    private async Task<object> GmailReadAsync(string agentId, JsonObject arguments, CancellationToken cancellationToken)
    {
        var (token, _) = await google.AccessTokenAsync(agentId, cancellationToken);
        return await gmail.GetMessageAsync(token, Required(arguments, "messageId"), cancellationToken: cancellationToken);
    }

    private async Task<object> CalendarAsync(string agentId, JsonObject arguments, CancellationToken cancellationToken)
    {
        var (token, _) = await google.AccessTokenAsync(agentId, cancellationToken);
        var from = ProposalValidator.Text(arguments, "timeMin") is { } min ? DateTimeOffset.Parse(min, CultureInfo.InvariantCulture) : DateTimeOffset.UtcNow;
        var to = ProposalValidator.Text(arguments, "timeMax") is { } max ? DateTimeOffset.Parse(max, CultureInfo.InvariantCulture) : from.AddDays(7);
        return await calendar.ListEventsAsync(token, from, to, maxResults: Int(arguments, "maxResults", 20, 50), cancellationToken: cancellationToken);
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
