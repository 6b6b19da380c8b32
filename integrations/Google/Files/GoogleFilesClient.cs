using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CompanyHub.Integrations.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations.Google.Files;

/// <summary>A Drive file found by <see cref="IGoogleFilesClient.SearchFilesAsync"/>.</summary>
public sealed record DriveFile(string Id, string Name, string? MimeType, DateTimeOffset? ModifiedTime, string? WebViewLink);

/// <summary>A Google Doc's title and the plain text of its body.</summary>
public sealed record DocumentText(string DocumentId, string Title, string Text);

/// <summary>The cells of a Sheet's range, row by row, as Sheets formats them.</summary>
public sealed record SheetRange(string Range, IReadOnlyList<IReadOnlyList<string>> Values);

/// <summary>One of the person's contacts.</summary>
public sealed record Contact(string ResourceName, string? Name, IReadOnlyList<string> Emails, IReadOnlyList<string> Phones, string? Organization);

/// <summary>The person's Drive, Docs, Sheets and Contacts, read with their own access token.</summary>
public interface IGoogleFilesClient
{
    /// <summary>Drive v3 <c>files.list</c>: files whose name or content contains <paramref name="query"/>, not in the trash.</summary>
    Task<IReadOnlyList<DriveFile>> SearchFilesAsync(string accessToken, string query, int maxResults = 10, CancellationToken cancellationToken = default);

    /// <summary>Docs v1 <c>documents.get</c>: the document's body as plain text (paragraphs and table cells).</summary>
    Task<DocumentText> ReadDocumentAsync(string accessToken, string documentId, CancellationToken cancellationToken = default);

    /// <summary>Sheets v4 <c>spreadsheets.values.get</c> of an A1 range, e.g. <c>Sheet1!A1:D20</c>.</summary>
    Task<SheetRange> ReadRangeAsync(string accessToken, string spreadsheetId, string range, CancellationToken cancellationToken = default);

    /// <summary>People v1 <c>people:searchContacts</c>: the person's contacts matching a name, email or phone prefix.</summary>
    Task<IReadOnlyList<Contact>> SearchContactsAsync(string accessToken, string query, int maxResults = 10, CancellationToken cancellationToken = default);

    /// <summary>Drive v3 <c>files.list</c>: the file (not in the trash) that carries the app property <paramref name="key"/> = <paramref name="value"/>, or null.</summary>
    Task<DriveFile?> FindByAppPropertyAsync(string accessToken, string key, string value, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drive v3 <c>files.create</c> of an empty Google Doc named <paramref name="title"/>, in <paramref name="folderId"/> when
    /// given, tagged with <paramref name="appProperties"/> in the same request (so that the tag cannot be missing from a created Doc).
    /// </summary>
    Task<DriveFile> CreateDocumentAsync(string accessToken, string title, string? folderId, IReadOnlyDictionary<string, string> appProperties, CancellationToken cancellationToken = default);

    /// <summary>Docs v1 <c>documents.batchUpdate</c> with one <c>insertText</c> at the start of the body (index 1).</summary>
    Task InsertTextAsync(string accessToken, string documentId, string text, CancellationToken cancellationToken = default);
}

/// <summary>Drive v3, Docs v1, Sheets v4 and People v1 over plain HttpClient, with their roots from <see cref="GoogleOptions"/>.</summary>
public sealed class GoogleFilesClient : IGoogleFilesClient
{
    internal const string ServiceName = "Google Drive";
    internal const string DocumentMimeType = "application/vnd.google-apps.document";
    private const string FileFields = "id,name,mimeType,modifiedTime,webViewLink";
    private readonly GoogleOptions _options;
    private readonly ServiceHttp _http;
    private readonly ILogger _logger;

    public GoogleFilesClient(HttpClient http, IOptions<GoogleOptions> options, ILogger<GoogleFilesClient> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _http = new ServiceHttp(http, ServiceName, ServiceErrorParsers.Google, logger, time);
    }

    public async Task<IReadOnlyList<DriveFile>> SearchFilesAsync(string accessToken, string query, int maxResults = 10, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        var literal = Literal(query.Trim());
        return await ListFilesAsync(accessToken, $"(name contains '{literal}' or fullText contains '{literal}') and trashed = false", maxResults, cancellationToken);
    }

    public async Task<DriveFile?> FindByAppPropertyAsync(string accessToken, string key, string value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var found = await ListFilesAsync(accessToken, $"appProperties has {{ key='{Literal(key)}' and value='{Literal(value)}' }} and trashed = false", 1, cancellationToken);
        return found.Count > 0 ? found[0] : null;
    }

    public async Task<DriveFile> CreateDocumentAsync(string accessToken, string title, string? folderId, IReadOnlyDictionary<string, string> appProperties, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrWhiteSpace(title);
        ArgumentNullException.ThrowIfNull(appProperties);
        var metadata = new JsonObject { ["name"] = title, ["mimeType"] = DocumentMimeType };
        if (!string.IsNullOrWhiteSpace(folderId))
        {
            metadata["parents"] = new JsonArray(folderId.Trim());
        }

        var properties = new JsonObject();
        foreach (var (k, v) in appProperties)
        {
            properties[k] = v;
        }

        metadata["appProperties"] = properties;
        var url = $"{_options.DriveBaseUrl.TrimEnd('/')}/files?fields={Uri.EscapeDataString(FileFields)}";
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Post, url, accessToken, metadata), "drive.files.create", cancellationToken);
        var file = ReadFile(body);
        if (file.Id.Length == 0)
        {
            throw new IntegrationException(ServiceName, "Google Drive created the file but answered without its id.", errorCode: "missing_id");
        }

        _logger.GoogleDocChanged(file.Id, "created");
        return file;
    }

    public async Task InsertTextAsync(string accessToken, string documentId, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrWhiteSpace(documentId);
        ArgumentNullException.ThrowIfNull(text);
        var request = new JsonObject
        {
            ["requests"] = new JsonArray(new JsonObject { ["insertText"] = new JsonObject { ["location"] = new JsonObject { ["index"] = 1 }, ["text"] = text } }),
        };
        var url = $"{_options.DocsBaseUrl.TrimEnd('/')}/documents/{Uri.EscapeDataString(documentId.Trim())}:batchUpdate";
        await _http.SendAsync(ServiceHttp.Request(HttpMethod.Post, url, accessToken, request), "docs.documents.batchUpdate", cancellationToken);
        _logger.GoogleDocChanged(documentId, "text inserted");
    }

    private async Task<IReadOnlyList<DriveFile>> ListFilesAsync(string accessToken, string q, int maxResults, CancellationToken cancellationToken)
    {
        var url = new StringBuilder(_options.DriveBaseUrl.TrimEnd('/')).Append("/files")
            .Append("?q=").Append(Uri.EscapeDataString(q))
            .Append("&pageSize=").Append(Math.Clamp(maxResults, 1, 100))
            .Append("&fields=").Append(Uri.EscapeDataString($"files({FileFields})"))
            .Append("&orderBy=").Append(Uri.EscapeDataString("modifiedTime desc"));
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url.ToString(), accessToken), "drive.files.list", cancellationToken);
        return body.GetArrayItems("files").Select(ReadFile).ToList();
    }

    private static DriveFile ReadFile(JsonElement f) =>
        new(f.GetStringOrNull("id") ?? "", f.GetStringOrNull("name") ?? "", f.GetStringOrNull("mimeType"), f.GetDateTimeOffsetOrNull("modifiedTime"), f.GetStringOrNull("webViewLink"));

    /// <summary>A string literal of Drive's query language: in single quotes, with ' and \ escaped by a backslash.</summary>
    private static string Literal(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);

    public async Task<DocumentText> ReadDocumentAsync(string accessToken, string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrWhiteSpace(documentId);
        var url = $"{_options.DocsBaseUrl.TrimEnd('/')}/documents/{Uri.EscapeDataString(documentId.Trim())}";
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url, accessToken), "docs.documents.get", cancellationToken);
        var text = new StringBuilder();
        if (body.GetObjectOrNull("body") is { } content)
        {
            AppendText(content, text);
        }

        return new DocumentText(body.GetStringOrNull("documentId") ?? documentId, body.GetStringOrNull("title") ?? "", text.ToString());
    }

    public async Task<SheetRange> ReadRangeAsync(string accessToken, string spreadsheetId, string range, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrWhiteSpace(spreadsheetId);
        ArgumentException.ThrowIfNullOrWhiteSpace(range);
        var url = $"{_options.SheetsBaseUrl.TrimEnd('/')}/spreadsheets/{Uri.EscapeDataString(spreadsheetId.Trim())}/values/{Uri.EscapeDataString(range.Trim())}?majorDimension=ROWS";
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url, accessToken), "sheets.spreadsheets.values.get", cancellationToken);
        var rows = body.TryGetProperty("values", out var values) && values.ValueKind == JsonValueKind.Array
            ? values.EnumerateArray().Select(row => (IReadOnlyList<string>)(row.ValueKind == JsonValueKind.Array ? row.EnumerateArray().Select(c => c.AsText() ?? "").ToList() : [])).ToList()
            : [];
        return new SheetRange(body.GetStringOrNull("range") ?? range, rows);
    }

    public async Task<IReadOnlyList<Contact>> SearchContactsAsync(string accessToken, string query, int maxResults = 10, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        var url = $"{_options.PeopleBaseUrl.TrimEnd('/')}/people:searchContacts?query={Uri.EscapeDataString(query.Trim())}&pageSize={Math.Clamp(maxResults, 1, 30)}"
            + $"&readMask={Uri.EscapeDataString("names,emailAddresses,phoneNumbers,organizations")}";
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url, accessToken), "people.people.searchContacts", cancellationToken);
        return body.GetArrayItems("results").Select(r => r.GetObjectOrNull("person")).OfType<JsonElement>().Select(p => new Contact(
            p.GetStringOrNull("resourceName") ?? "",
            p.GetArrayItems("names").Select(n => n.GetStringOrNull("displayName")).FirstOrDefault(n => n is not null),
            p.GetArrayItems("emailAddresses").Select(e => e.GetStringOrNull("value")).OfType<string>().ToList(),
            p.GetArrayItems("phoneNumbers").Select(e => e.GetStringOrNull("value")).OfType<string>().ToList(),
            p.GetArrayItems("organizations").Select(o => o.GetStringOrNull("name")).FirstOrDefault(n => n is not null))).ToList();
    }

    /// <summary>Docs' structural elements: paragraphs' text runs, and the cells of tables (each cell is content again).</summary>
    private static void AppendText(JsonElement container, StringBuilder text)
    {
        foreach (var element in container.GetArrayItems("content"))
        {
            if (element.GetObjectOrNull("paragraph") is { } paragraph)
            {
                foreach (var run in paragraph.GetArrayItems("elements"))
                {
                    if (run.GetObjectOrNull("textRun") is { } textRun)
                    {
                        text.Append(textRun.GetStringOrNull("content"));
                    }
                }
            }
            else if (element.GetObjectOrNull("table") is { } table)
            {
                foreach (var row in table.GetArrayItems("tableRows"))
                {
                    foreach (var cell in row.GetArrayItems("tableCells"))
                    {
                        AppendText(cell, text);
                    }
                }
            }
        }
    }
}
