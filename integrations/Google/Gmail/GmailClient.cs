using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Integrations.Http;
using CompanyHub.Integrations.Mail;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations.Google.Gmail;

/// <summary>Gmail API v1 over plain HttpClient (the Google.Apis.Gmail package does not restore here).</summary>
public sealed partial class GmailClient : IGmailClient
{
    internal const string ServiceName = "Gmail";
    private const int MaxBodyChars = 20_000;
    private const int MaxSearchResults = 50;
    private const int ParallelReads = 4;
    private static readonly string[] SummaryHeaders = ["From", "To", "Subject", "Date"];
    private readonly GoogleOptions _options;
    private readonly ServiceHttp _http;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public GmailClient(HttpClient http, IOptions<GoogleOptions> options, ILogger<GmailClient> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _time = time;
        _http = new ServiceHttp(http, ServiceName, ServiceErrorParsers.Google, logger, time);
    }

    public bool IsConfigured => _options.IsConfigured;

    private string MessagesUrl => _options.GmailBaseUrl.TrimEnd('/') + "/gmail/v1/users/me/messages";

    private string DraftsUrl => _options.GmailBaseUrl.TrimEnd('/') + "/gmail/v1/users/me/drafts";

    public async Task<GmailSearchResult> SearchAsync(string accessToken, string query, int maxResults = 10, string? pageToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResults, 1);
        EnsureConfigured();

        var url = new StringBuilder(MessagesUrl).Append("?maxResults=").Append(Math.Min(maxResults, MaxSearchResults));
        if (query.Length > 0)
        {
            url.Append("&q=").Append(Uri.EscapeDataString(query));
        }

        if (!string.IsNullOrEmpty(pageToken))
        {
            url.Append("&pageToken=").Append(Uri.EscapeDataString(pageToken));
        }

        var list = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url.ToString(), accessToken), "gmail.users.messages.list", cancellationToken);
        var ids = list.GetArrayItems("messages").Select(m => m.GetStringOrNull("id")).OfType<string>().ToArray();

        // The list answers ids only; the headers come from one metadata read per hit, a few at a time.
        var summaries = new GmailMessageSummary[ids.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Length),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var message = await GetMessageAsync(accessToken, ids[i], GmailMessageFormat.Metadata, ct);
                summaries[i] = new GmailMessageSummary(message.Id, message.ThreadId, message.From, message.To, message.Subject, message.Date, message.Snippet, message.Labels);
            });

        var estimate = list.TryGetProperty("resultSizeEstimate", out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : ids.Length;
        return new GmailSearchResult(summaries, list.GetStringOrNull("nextPageToken"), estimate);
    }

    public async Task<GmailMessage> GetMessageAsync(string accessToken, string messageId, GmailMessageFormat format = GmailMessageFormat.Full, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrEmpty(messageId);
        EnsureConfigured();

        var url = new StringBuilder(MessagesUrl).Append('/').Append(Uri.EscapeDataString(messageId)).Append(FormatQuery(format));
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url.ToString(), accessToken), "gmail.users.messages.get", cancellationToken);
        return ReadMessage(body, format, messageId);
    }

    public async Task<IReadOnlyList<GmailDraft>> ListDraftsAsync(string accessToken, string query, int maxResults = 10, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxResults, 1);
        EnsureConfigured();

        var url = new StringBuilder(DraftsUrl).Append("?maxResults=").Append(Math.Min(maxResults, MaxSearchResults));
        if (query.Length > 0)
        {
            url.Append("&q=").Append(Uri.EscapeDataString(query));
        }

        var list = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url.ToString(), accessToken), "gmail.users.drafts.list", cancellationToken);
        var ids = list.GetArrayItems("drafts").Select(d => d.GetStringOrNull("id")).OfType<string>().ToArray();

        // The list answers ids only; the headers come from one metadata read per draft, a few at a time.
        var drafts = new GmailDraft[ids.Length];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, ids.Length),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelReads, CancellationToken = cancellationToken },
            async (i, ct) => drafts[i] = await GetDraftAsync(accessToken, ids[i], GmailMessageFormat.Metadata, ct));
        return drafts;
    }

    public async Task<GmailDraft> GetDraftAsync(string accessToken, string draftId, GmailMessageFormat format = GmailMessageFormat.Full, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrEmpty(draftId);
        EnsureConfigured();

        var url = DraftsUrl + "/" + Uri.EscapeDataString(draftId) + FormatQuery(format);
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url, accessToken), "gmail.users.drafts.get", cancellationToken);
        return ReadDraft(body, format, draftId);
    }

    public async Task<GmailDraft> CreateDraftAsync(string accessToken, EmailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentNullException.ThrowIfNull(message);
        EnsureConfigured();

        var (raw, _) = RawMessage(message);
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Post, DraftsUrl, accessToken, new JsonObject { ["message"] = raw }), "gmail.users.drafts.create", cancellationToken);
        var draft = ReadDraft(body, GmailMessageFormat.Metadata, null);
        _logger.GmailDraftCreated(draft.Id, draft.Message.Id);
        return draft;
    }

    public async Task<GmailSentMessage> SendDraftAsync(string accessToken, string draftId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrEmpty(draftId);
        EnsureConfigured();

        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Post, DraftsUrl + "/send", accessToken, new JsonObject { ["id"] = draftId }), "gmail.users.drafts.send", cancellationToken);
        var id = body.GetStringOrNull("id")
            ?? throw new IntegrationException(ServiceName, "Gmail sent the draft but answered without the message's id.", errorCode: "missing_id");
        var threadId = body.GetStringOrNull("threadId") ?? id;
        _logger.GmailMessageSent(id, threadId);
        return new GmailSentMessage(id, threadId, string.Empty);
    }

    /// <summary>A draft resource (<c>{"id", "message": {...}}</c>) as a <see cref="GmailDraft"/>.</summary>
    private static GmailDraft ReadDraft(JsonElement body, GmailMessageFormat format, string? draftId)
    {
        var id = body.GetStringOrNull("id") ?? draftId
            ?? throw new IntegrationException(ServiceName, "Gmail answered a draft without its id.", errorCode: "missing_id");
        var message = body.GetObjectOrNull("message")
            ?? throw new IntegrationException(ServiceName, $"Gmail answered draft {id} without its message.", errorCode: "missing_message");
        return new GmailDraft(id, ReadMessage(message, format, null));
    }

    /// <summary>The query of a <c>messages.get</c> or <c>drafts.get</c>: the summary headers for metadata (with Cc and Message-ID), or the full message.</summary>
    private static string FormatQuery(GmailMessageFormat format)
    {
        if (format != GmailMessageFormat.Metadata)
        {
            return "?format=full";
        }

        var query = new StringBuilder("?format=metadata");
        foreach (var header in SummaryHeaders.Append("Cc").Append("Bcc").Append("Message-ID"))
        {
            query.Append("&metadataHeaders=").Append(header);
        }

        return query.ToString();
    }

    /// <summary>A message resource as a <see cref="GmailMessage"/>: headers, labels, snippet, and for the full format its text.</summary>
    private static GmailMessage ReadMessage(JsonElement body, GmailMessageFormat format, string? messageId)
    {
        var payload = body.GetObjectOrNull("payload");
        var headers = payload is { } p ? ReadHeaders(p) : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        string? text = null;
        var truncated = false;
        var attachments = new List<string>();
        if (format == GmailMessageFormat.Full && payload is { } root)
        {
            text = ExtractText(root, attachments);
            if (text is { Length: > MaxBodyChars })
            {
                text = text[..MaxBodyChars];
                truncated = true;
            }
        }

        return new GmailMessage(
            body.GetStringOrNull("id") ?? messageId ?? throw new IntegrationException(ServiceName, "Gmail answered a message without its id.", errorCode: "missing_id"),
            body.GetStringOrNull("threadId") ?? string.Empty,
            headers.GetValueOrDefault("From"),
            headers.GetValueOrDefault("To"),
            headers.GetValueOrDefault("Cc"),
            headers.GetValueOrDefault("Subject"),
            ReadDate(body, headers),
            WebUtility.HtmlDecode(body.GetStringOrNull("snippet") ?? string.Empty),
            body.GetArrayItems("labelIds").Select(l => l.GetString()).OfType<string>().ToArray(),
            headers.GetValueOrDefault("Message-ID") ?? headers.GetValueOrDefault("Message-Id"),
            text,
            truncated,
            attachments)
        {
            Bcc = headers.GetValueOrDefault("Bcc"),
        };
    }

    public async Task<IReadOnlyDictionary<string, string>> ListLabelsAsync(string accessToken, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        EnsureConfigured();
        var url = _options.GmailBaseUrl.TrimEnd('/') + "/gmail/v1/users/me/labels";
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url, accessToken), "gmail.users.labels.list", cancellationToken);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var label in body.GetArrayItems("labels"))
        {
            if (label.GetStringOrNull("id") is { } id)
            {
                labels[id] = label.GetStringOrNull("name") ?? id;
            }
        }

        return labels;
    }

    public async Task<GmailSentMessage> SendAsync(string accessToken, EmailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentNullException.ThrowIfNull(message);
        EnsureConfigured();

        var (request, messageId) = RawMessage(message);
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Post, MessagesUrl + "/send", accessToken, request), "gmail.users.messages.send", cancellationToken);
        var id = body.GetStringOrNull("id")
            ?? throw new IntegrationException(ServiceName, "Gmail accepted the message but answered without its id.", errorCode: "missing_id");
        var threadId = body.GetStringOrNull("threadId") ?? id;
        _logger.GmailMessageSent(id, threadId);
        return new GmailSentMessage(id, threadId, messageId);
    }

    /// <summary>The message resource Gmail takes to send or draft: <c>{"raw": base64url RFC 2822, "threadId"?}</c>, and the Message-ID written into it.</summary>
    private (JsonObject Message, string MessageId) RawMessage(EmailMessage message)
    {
        var messageId = message.MessageId ?? MimeMessageBuilder.NewMessageId(MimeMessageBuilder.DomainOf(message.From));
        var mime = MimeMessageBuilder.Build(message, _time.GetUtcNow(), messageId);
        var raw = new JsonObject { ["raw"] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(mime)) };
        if (!string.IsNullOrEmpty(message.ThreadId))
        {
            raw["threadId"] = message.ThreadId;
        }

        return (raw, messageId);
    }

    private static Dictionary<string, string> ReadHeaders(JsonElement part)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in part.GetArrayItems("headers"))
        {
            if (header.GetStringOrNull("name") is { } name && header.GetStringOrNull("value") is { } value)
            {
                headers.TryAdd(name, value);
            }
        }

        return headers;
    }

    private static DateTimeOffset? ReadDate(JsonElement message, Dictionary<string, string> headers)
    {
        if (message.GetStringOrNull("internalDate") is { } ms && long.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var unixMs))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
        }

        if (headers.GetValueOrDefault("Date") is { } date)
        {
            // RFC 5322 dates may end with a comment such as "(UTC)".
            var cleaned = CommentPattern().Replace(date, string.Empty).Trim();
            if (DateTimeOffset.TryParse(cleaned, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return parsed;
            }
        }

        return null;
    }

    /// <summary>The first text/plain part, or the first text/html part reduced to text; attachments are only named.</summary>
    private static string? ExtractText(JsonElement root, List<string> attachments)
    {
        string? plain = null;
        string? html = null;
        Walk(root);
        return plain ?? (html is null ? null : HtmlToText(html));

        void Walk(JsonElement part)
        {
            var mimeType = part.GetStringOrNull("mimeType") ?? string.Empty;
            var filename = part.GetStringOrNull("filename");
            if (!string.IsNullOrEmpty(filename))
            {
                attachments.Add(filename);
                return;
            }

            if (mimeType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var child in part.GetArrayItems("parts"))
                {
                    Walk(child);
                }

                return;
            }

            var data = part.GetObjectOrNull("body")?.GetStringOrNull("data");
            if (data is null)
            {
                return;
            }

            var text = Decode(data, ReadHeaders(part).GetValueOrDefault("Content-Type"));
            if (plain is null && mimeType.Equals("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                plain = text;
            }
            else if (html is null && mimeType.Equals("text/html", StringComparison.OrdinalIgnoreCase))
            {
                html = text;
            }
        }
    }

    private static string Decode(string base64Url, string? contentType)
    {
        // Gmail hands out base64url, sometimes with padding.
        var bytes = Base64Url.DecodeFromChars(base64Url.TrimEnd('=').AsSpan());
        var charset = contentType is null ? null : CharsetPattern().Match(contentType) is { Success: true } m ? m.Groups[1].Value : null;
        var encoding = charset?.ToUpperInvariant() switch
        {
            "ISO-8859-1" or "LATIN1" => Encoding.Latin1,
            "US-ASCII" or "ASCII" => Encoding.ASCII,
            _ => Encoding.UTF8,
        };
        return encoding.GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static string HtmlToText(string html)
    {
        var withoutBlocks = ScriptOrStylePattern().Replace(html, string.Empty);
        var withBreaks = BreakPattern().Replace(withoutBlocks, "\n");
        var text = WebUtility.HtmlDecode(TagPattern().Replace(withBreaks, string.Empty));
        return BlankLinesPattern().Replace(text, "\n\n").Trim();
    }

    private void EnsureConfigured()
    {
        if (!_options.IsConfigured)
        {
            throw new ToolNotConfiguredException(ServiceName, "Gmail is not configured: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET");
        }
    }

    [GeneratedRegex(@"\([^)]*\)\s*$")]
    private static partial Regex CommentPattern();

    [GeneratedRegex(@"charset\s*=\s*""?([^"";\s]+)", RegexOptions.IgnoreCase)]
    private static partial Regex CharsetPattern();

    [GeneratedRegex(@"<(script|style)[^>]*>.*?</\1>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex ScriptOrStylePattern();

    [GeneratedRegex(@"<\s*(br|/p|/div|/li|/tr|/h[1-6])\s*/?>", RegexOptions.IgnoreCase)]
    private static partial Regex BreakPattern();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"\n\s*\n(\s*\n)+")]
    private static partial Regex BlankLinesPattern();
}
