using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Google;

/// <summary>
/// Gmail's <c>users.drafts</c>: <c>list</c> (with <c>q</c>), <c>get</c>, <c>create</c> and <c>send</c>, with Gmail's
/// scopes and shapes. A draft's message is a message of the mailbox with the DRAFT label; sending deletes the draft and
/// files a new message (a new id) with the SENT label, as Gmail does.
/// </summary>
public sealed partial class FakeGoogle
{
    private void MapDrafts(WebApplication app)
    {
        app.MapGet("/gmail/v1/users/{userId}/drafts", ListDrafts).WithName(GoogleEndpoints.GmailDraftsList);
        app.MapGet("/gmail/v1/users/{userId}/drafts/{id}", GetDraft).WithName(GoogleEndpoints.GmailDraftsGet);
        app.MapPost("/gmail/v1/users/{userId}/drafts", CreateDraftAsync).WithName(GoogleEndpoints.GmailDraftsCreate);
        app.MapPost("/gmail/v1/users/{userId}/drafts/send", SendDraftAsync).WithName(GoogleEndpoints.GmailDraftsSend);
    }

    private IResult ListDrafts(HttpContext context, string userId)
    {
        if (Authenticate(context, [Readonly, Compose, Modify, FullMail], out var account) is { } denied)
        {
            return denied;
        }

        if (CheckUser(account, userId) is { } wrongUser)
        {
            return wrongUser;
        }

        var query = context.Request.Query;
        var max = int.TryParse(query["maxResults"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) ? Math.Clamp(m, 1, 500) : 100;
        var q = query["q"].ToString();
        var matches = account.DraftsSnapshot().Where(d => GmailSearch.Matches(d.Message, q)).OrderByDescending(d => d.Message.Date).ToList();
        var result = new JsonObject();
        if (matches.Count > 0)
        {
            result["drafts"] = new JsonArray([.. matches.Take(max).Select(d => (JsonNode)new JsonObject
            {
                ["id"] = d.DraftId,
                ["message"] = new JsonObject { ["id"] = d.Message.Id, ["threadId"] = d.Message.ThreadId },
            })]);
        }

        if (matches.Count > max)
        {
            result["nextPageToken"] = max.ToString(CultureInfo.InvariantCulture);
        }

        result["resultSizeEstimate"] = matches.Count;
        return Json(result);
    }

    private IResult GetDraft(HttpContext context, string userId, string id)
    {
        if (Authenticate(context, [Readonly, Compose, Modify, FullMail], out var account) is { } denied)
        {
            return denied;
        }

        if (CheckUser(account, userId) is { } wrongUser)
        {
            return wrongUser;
        }

        var format = context.Request.Query["format"].ToString() is { Length: > 0 } f ? f : "full";
        if (format is not ("full" or "metadata" or "minimal" or "raw"))
        {
            return ApiFailure(400, $"Invalid value at 'format' ({format})", "INVALID_ARGUMENT", "invalidArgument");
        }

        var draft = account.DraftsSnapshot().FirstOrDefault(d => d.DraftId == id);
        return draft.Message is null
            ? ApiFailure(404, "Requested entity was not found.", "NOT_FOUND", "notFound")
            : Json(new JsonObject { ["id"] = draft.DraftId, ["message"] = MessageJson(context, draft.Message, format) });
    }

    private async Task<IResult> CreateDraftAsync(HttpContext context, string userId)
    {
        if (Authenticate(context, [Compose, Modify, FullMail], out var account) is { } denied)
        {
            return denied;
        }

        if (CheckUser(account, userId) is { } wrongUser)
        {
            return wrongUser;
        }

        if (await ReadBodyAsync(context) is not { } body)
        {
            return ApiFailure(400, "Invalid JSON payload received.", "INVALID_ARGUMENT", "parseError");
        }

        // A draft may have no recipients yet.
        if (ReadRawMessage(account, body["message"], requireRecipients: false, out _, out var parsed, out var threadId) is { } refused)
        {
            return refused;
        }

        var messageId = NewId(8);
        account.Add(StoredMessage(account, messageId, threadId ?? messageId, "DRAFT", parsed));
        var draftId = account.MapDraft(messageId);
        return Json(new JsonObject
        {
            ["id"] = draftId,
            ["message"] = new JsonObject { ["id"] = messageId, ["threadId"] = threadId ?? messageId, ["labelIds"] = new JsonArray("DRAFT") },
        });
    }

    private async Task<IResult> SendDraftAsync(HttpContext context, string userId)
    {
        if (Authenticate(context, [Compose, Modify, FullMail], out var account) is { } denied)
        {
            return denied;
        }

        if (CheckUser(account, userId) is { } wrongUser)
        {
            return wrongUser;
        }

        if (await ReadBodyAsync(context) is not { } body || body["id"]?.GetValue<string>() is not { Length: > 0 } draftId)
        {
            return ApiFailure(400, "Invalid draft", "INVALID_ARGUMENT", "invalidArgument");
        }

        var draft = account.DraftsSnapshot().FirstOrDefault(d => d.DraftId == draftId).Message;
        if (draft is null)
        {
            return ApiFailure(404, "Requested entity was not found.", "NOT_FOUND", "notFound");
        }

        var bytes = Encoding.UTF8.GetBytes(RawText(draft));
        var parsed = MimeParser.Parse(bytes);
        if (MimeParser.Addresses(parsed.Header("To")).Count + MimeParser.Addresses(parsed.Header("Cc")).Count == 0)
        {
            return ApiFailure(400, "Recipient address required", "INVALID_ARGUMENT", "invalidArgument");
        }

        // Gmail deletes the draft and files the sent message under a new id.
        account.TakeDraft(draftId);
        var id = NewId(8);
        account.Add(new StoredGmailMessage { Id = id, ThreadId = draft.ThreadId, Labels = ["SENT"], Date = DateTimeOffset.UtcNow, Headers = draft.Headers, Body = draft.Body });
        RecordSent(account, id, draft.ThreadId, bytes, parsed);
        return Json(new JsonObject { ["id"] = id, ["threadId"] = draft.ThreadId, ["labelIds"] = new JsonArray("SENT") });
    }

    private static async Task<JsonNode?> ReadBodyAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
