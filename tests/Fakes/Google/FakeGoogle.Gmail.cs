using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Google;

public sealed partial class FakeGoogle
{
    private const string Readonly = "https://www.googleapis.com/auth/gmail.readonly";
    private const string Metadata = "https://www.googleapis.com/auth/gmail.metadata";
    private const string Modify = "https://www.googleapis.com/auth/gmail.modify";
    private const string Compose = "https://www.googleapis.com/auth/gmail.compose";
    private const string Send = "https://www.googleapis.com/auth/gmail.send";
    private const string FullMail = "https://mail.google.com/";

    private void MapGmail(WebApplication app)
    {
        app.MapGet("/gmail/v1/users/{userId}/messages", ListMessages).WithName(GoogleEndpoints.GmailList);
        app.MapGet("/gmail/v1/users/{userId}/messages/{id}", GetMessage).WithName(GoogleEndpoints.GmailGet);
        app.MapPost("/gmail/v1/users/{userId}/messages/send", SendMessageAsync).WithName(GoogleEndpoints.GmailSend);
        app.MapGet("/gmail/v1/users/{userId}/labels", ListLabels).WithName(GoogleEndpoints.GmailLabels);
        MapDrafts(app);
    }

    /// <summary><c>users.labels.list</c>: Gmail's system labels (id = name) and the account's own (<see cref="FakeGoogleAccount.AddLabel"/>).</summary>
    private IResult ListLabels(HttpContext context, string userId)
    {
        if (Authenticate(context, [Readonly, Modify, FullMail, Metadata, "https://www.googleapis.com/auth/gmail.labels"], out var account) is { } denied)
        {
            return denied;
        }

        if (CheckUser(account, userId) is { } wrongUser)
        {
            return wrongUser;
        }

        string[] system = ["INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT", "CATEGORY_PERSONAL", "CATEGORY_UPDATES"];
        var labels = new JsonArray([
            .. system.Select(id => (JsonNode)new JsonObject { ["id"] = id, ["name"] = id, ["type"] = "system" }),
            .. account.LabelsSnapshot().Select(l => (JsonNode)new JsonObject { ["id"] = l.Key, ["name"] = l.Value, ["type"] = "user" }),
        ]);
        return Json(new JsonObject { ["labels"] = labels });
    }

    private IResult ListMessages(HttpContext context, string userId)
    {
        if (Authenticate(context, [Readonly, Modify, FullMail, Metadata], out var account) is { } denied)
        {
            return denied;
        }

        if (CheckUser(account, userId) is { } wrongUser)
        {
            return wrongUser;
        }

        var query = context.Request.Query;
        var max = int.TryParse(query["maxResults"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var m) ? Math.Clamp(m, 1, 500) : 100;
        var offset = 0;
        if (query["pageToken"].ToString() is { Length: > 0 } pageToken && !int.TryParse(pageToken, NumberStyles.Integer, CultureInfo.InvariantCulture, out offset))
        {
            return ApiFailure(400, "Invalid pageToken", "INVALID_ARGUMENT", "invalidArgument");
        }

        var q = query["q"].ToString();
        if (q.Length > 0 && Authenticate(context, [Readonly, Modify, FullMail], out _) is not null)
        {
            return ApiFailure(403, "Metadata scope does not support 'q' parameter", "PERMISSION_DENIED", "forbidden");
        }

        var labelIds = query["labelIds"].Where(l => !string.IsNullOrEmpty(l)).Select(l => l!).ToArray();
        var includeSpamTrash = query["includeSpamTrash"] == "true";
        var matches = account.MessagesSnapshot()
            .Where(msg => includeSpamTrash || !msg.Labels.Any(l => l is "SPAM" or "TRASH"))
            .Where(msg => labelIds.All(msg.Labels.Contains))
            .Where(msg => GmailSearch.Matches(msg, q))
            .OrderByDescending(msg => msg.Date)
            .ToList();

        var page = matches.Skip(offset).Take(max).ToList();
        var result = new JsonObject();
        if (page.Count > 0)
        {
            result["messages"] = new JsonArray(page.Select(msg => (JsonNode)new JsonObject { ["id"] = msg.Id, ["threadId"] = msg.ThreadId }).ToArray());
        }

        if (offset + max < matches.Count)
        {
            result["nextPageToken"] = (offset + max).ToString(CultureInfo.InvariantCulture);
        }

        result["resultSizeEstimate"] = matches.Count;
        return Json(result);
    }

    private IResult GetMessage(HttpContext context, string userId, string id)
    {
        var format = context.Request.Query["format"].ToString() is { Length: > 0 } f ? f : "full";
        var scopes = format == "metadata" ? new[] { Readonly, Modify, FullMail, Metadata } : [Readonly, Modify, FullMail];
        if (Authenticate(context, scopes, out var account) is { } denied)
        {
            return denied;
        }

        if (CheckUser(account, userId) is { } wrongUser)
        {
            return wrongUser;
        }

        if (format is not ("full" or "metadata" or "minimal" or "raw"))
        {
            return ApiFailure(400, $"Invalid value at 'format' ({format})", "INVALID_ARGUMENT", "invalidArgument");
        }

        var message = account.MessagesSnapshot().FirstOrDefault(msg => msg.Id == id);
        if (message is null)
        {
            return ApiFailure(404, "Requested entity was not found.", "NOT_FOUND", "notFound");
        }

        return Json(MessageJson(context, message, format));
    }

    /// <summary>A message resource in <paramref name="format"/> (full, metadata with the asked <c>metadataHeaders</c>, minimal or raw), as <c>messages.get</c> and <c>drafts.get</c> answer it.</summary>
    private static JsonObject MessageJson(HttpContext context, StoredGmailMessage message, string format)
    {
        var json = new JsonObject
        {
            ["id"] = message.Id,
            ["threadId"] = message.ThreadId,
            ["labelIds"] = new JsonArray(message.Labels.Select(l => (JsonNode)l).ToArray()),
            ["snippet"] = Snippet(message),
            ["sizeEstimate"] = message.Body.Length + 500,
            ["historyId"] = "1000",
            ["internalDate"] = message.Date.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        };

        switch (format)
        {
            case "full":
                json["payload"] = FullPayload(message);
                break;
            case "metadata":
                var wanted = context.Request.Query["metadataHeaders"].Select(h => h!).ToHashSet(StringComparer.OrdinalIgnoreCase);
                var headers = message.Headers.Where(h => wanted.Count == 0 || wanted.Contains(h.Key));
                json["payload"] = new JsonObject
                {
                    ["mimeType"] = BodyMimeType(message),
                    ["headers"] = HeadersJson(headers),
                };
                break;
            case "raw":
                json["raw"] = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(RawText(message)));
                break;
        }

        return json;
    }

    private async Task<IResult> SendMessageAsync(HttpContext context, string userId)
    {
        if (Authenticate(context, [Send, Compose, Modify, FullMail], out var account) is { } denied)
        {
            return denied;
        }

        if (CheckUser(account, userId) is { } wrongUser)
        {
            return wrongUser;
        }

        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return ApiFailure(400, "Invalid JSON payload received. " + ex.Message, "INVALID_ARGUMENT", "parseError");
        }

        if (ReadRawMessage(account, body, requireRecipients: true, out var bytes, out var parsed, out var threadId) is { } refused)
        {
            return refused;
        }

        var id = NewId(8);
        threadId ??= id;
        account.Add(StoredMessage(account, id, threadId, "SENT", parsed));
        RecordSent(account, id, threadId, bytes, parsed);
        return Json(new JsonObject { ["id"] = id, ["threadId"] = threadId, ["labelIds"] = new JsonArray("SENT") });
    }

    /// <summary>
    /// Reads a message resource's base64url <c>raw</c> RFC 2822 text and its <c>threadId</c> (which must be a thread of
    /// the mailbox), as <c>messages.send</c> and <c>drafts.create</c> take them; answers Gmail's 400/404 otherwise.
    /// </summary>
    private static IResult? ReadRawMessage(FakeGoogleAccount account, JsonNode? message, bool requireRecipients, out byte[] bytes, out MimeParser.Parsed parsed, out string? threadId)
    {
        bytes = [];
        parsed = null!;
        threadId = null;
        if (message?["raw"]?.GetValue<string>() is not { Length: > 0 } raw)
        {
            return ApiFailure(400, "'raw' RFC822 payload message string or uploading message via /upload/* URL required", "INVALID_ARGUMENT", "invalidArgument");
        }

        try
        {
            // Gmail takes base64url; be as lenient as Google about padding.
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(raw.TrimEnd('=').AsSpan());
        }
        catch (FormatException)
        {
            return ApiFailure(400, "Invalid value for ByteString: raw is not base64url", "INVALID_ARGUMENT", "invalidArgument");
        }

        parsed = MimeParser.Parse(bytes);
        var addresses = MimeParser.Addresses(parsed.Header("To")).Concat(MimeParser.Addresses(parsed.Header("Cc"))).Concat(MimeParser.Addresses(parsed.Header("Bcc"))).ToList();
        if (requireRecipients && addresses.Count == 0)
        {
            return ApiFailure(400, "Recipient address required", "INVALID_ARGUMENT", "invalidArgument");
        }

        if (addresses.Any(a => !AddressPattern().IsMatch(a)))
        {
            return ApiFailure(400, "Invalid To header", "INVALID_ARGUMENT", "invalidArgument");
        }

        threadId = message["threadId"]?.GetValue<string>();
        var requested = threadId;
        if (requested is not null && account.MessagesSnapshot().All(msg => msg.ThreadId != requested))
        {
            return ApiFailure(404, "Requested entity was not found.", "NOT_FOUND", "notFound");
        }

        return null;
    }

    /// <summary>A parsed message as stored in the mailbox (From filled in as Gmail does; Bcc kept only in a draft).</summary>
    private static StoredGmailMessage StoredMessage(FakeGoogleAccount account, string id, string threadId, string label, MimeParser.Parsed parsed)
    {
        var headers = parsed.Headers.Where(h => label == "DRAFT" || !h.Key.Equals("Bcc", StringComparison.OrdinalIgnoreCase)).ToList();
        if (parsed.Header("From") is null)
        {
            headers.Insert(0, new("From", account.Email));
        }

        return new StoredGmailMessage { Id = id, ThreadId = threadId, Labels = [label], Date = DateTimeOffset.UtcNow, Headers = headers, Body = parsed.Body };
    }

    /// <summary>Records a sent message in <see cref="SentEmails"/>.</summary>
    private void RecordSent(FakeGoogleAccount account, string id, string threadId, byte[] bytes, MimeParser.Parsed parsed)
    {
        lock (_gate)
        {
            _sentEmails.Add(new RecordedEmail(
                account.Email, id, threadId, Encoding.UTF8.GetString(bytes), parsed.Headers,
                MimeParser.Addresses(parsed.Header("From")).FirstOrDefault(), MimeParser.Addresses(parsed.Header("To")), MimeParser.Addresses(parsed.Header("Cc")), MimeParser.Addresses(parsed.Header("Bcc")),
                parsed.Header("Subject"), parsed.Body, parsed.UsesCrlf, parsed.LongestLine));
        }
    }

    private static IResult? CheckUser(FakeGoogleAccount account, string userId) =>
        userId == "me" || userId.Equals(account.Email, StringComparison.OrdinalIgnoreCase)
            ? null
            : ApiFailure(403, $"Delegation denied for {account.Email}", "PERMISSION_DENIED", "forbidden");

    private static string BodyMimeType(StoredGmailMessage message) =>
        message.Attachments.Count > 0 ? "multipart/mixed"
        : message.HtmlBody is null ? "text/plain"
        : message.Body.Length == 0 ? "text/html"
        : "multipart/alternative";

    private static JsonObject FullPayload(StoredGmailMessage message)
    {
        var headers = message.Headers.Append(new("MIME-Version", "1.0")).ToList();
        JsonObject content;
        if (message.HtmlBody is null)
        {
            content = Part("0", "text/plain", message.Body);
        }
        else if (message.Body.Length == 0)
        {
            content = Part("0", "text/html", message.HtmlBody);
        }
        else
        {
            content = new JsonObject
            {
                ["partId"] = "0",
                ["mimeType"] = "multipart/alternative",
                ["filename"] = string.Empty,
                ["headers"] = HeadersJson([new("Content-Type", "multipart/alternative; boundary=\"alt\"")]),
                ["body"] = new JsonObject { ["size"] = 0 },
                ["parts"] = new JsonArray(Part("0.0", "text/plain", message.Body), Part("0.1", "text/html", message.HtmlBody)),
            };
        }

        JsonObject payload;
        if (message.Attachments.Count == 0)
        {
            payload = content;
            payload["partId"] = string.Empty;
        }
        else
        {
            var parts = new JsonArray(content);
            var index = 1;
            foreach (var name in message.Attachments)
            {
                parts.Add(new JsonObject
                {
                    ["partId"] = index.ToString(CultureInfo.InvariantCulture),
                    ["mimeType"] = "application/octet-stream",
                    ["filename"] = name,
                    ["headers"] = HeadersJson([new("Content-Disposition", $"attachment; filename=\"{name}\"")]),
                    ["body"] = new JsonObject { ["attachmentId"] = "att-" + index.ToString(CultureInfo.InvariantCulture), ["size"] = 1024 },
                });
                index++;
            }

            payload = new JsonObject
            {
                ["partId"] = string.Empty,
                ["mimeType"] = "multipart/mixed",
                ["filename"] = string.Empty,
                ["body"] = new JsonObject { ["size"] = 0 },
                ["parts"] = parts,
            };
        }

        // The message's own headers sit on the top-level part, as in Gmail.
        var own = HeadersJson(headers);
        if (payload["headers"] is JsonArray partHeaders)
        {
            foreach (var h in partHeaders.ToArray())
            {
                partHeaders.Remove(h);
                own.Add(h);
            }
        }

        payload["headers"] = own;
        return payload;

        static JsonObject Part(string partId, string mimeType, string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n", StringComparison.Ordinal));
            return new JsonObject
            {
                ["partId"] = partId,
                ["mimeType"] = mimeType,
                ["filename"] = string.Empty,
                ["headers"] = HeadersJson([new("Content-Type", mimeType + "; charset=\"UTF-8\""), new("Content-Transfer-Encoding", "quoted-printable")]),
                ["body"] = new JsonObject { ["size"] = bytes.Length, ["data"] = System.Buffers.Text.Base64Url.EncodeToString(bytes) },
            };
        }
    }

    private static JsonArray HeadersJson(IEnumerable<KeyValuePair<string, string>> headers) =>
        new(headers.Select(h => (JsonNode)new JsonObject { ["name"] = h.Key, ["value"] = h.Value }).ToArray());

    /// <summary>Gmail's snippet: the start of the text, whitespace collapsed, HTML-escaped.</summary>
    private static string Snippet(StoredGmailMessage message)
    {
        var text = message.Body.Length > 0 ? message.Body : TagPattern().Replace(message.HtmlBody ?? string.Empty, " ");
        var collapsed = SpacePattern().Replace(text, " ").Trim();
        return WebUtility.HtmlEncode(collapsed.Length > 100 ? collapsed[..100] : collapsed);
    }

    private static string RawText(StoredGmailMessage message)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in message.Headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        text.Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        text.Append(message.Body.Replace("\n", "\r\n", StringComparison.Ordinal));
        return text.ToString();
    }

    [GeneratedRegex(@"^[^@\s<>,;""]+@[^@\s<>,;""]+\.[^@\s<>,;""]+$")]
    private static partial Regex AddressPattern();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"\s+")]
    private static partial Regex SpacePattern();
}
