using System.Text;
using System.Text.Json;
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
}

/// <summary>Drive v3, Docs v1, Sheets v4 and People v1 over plain HttpClient, with their roots from <see cref="GoogleOptions"/>.</summary>
public sealed class GoogleFilesClient : IGoogleFilesClient
{
    internal const string ServiceName = "Google Drive";
    private readonly GoogleOptions _options;
    private readonly ServiceHttp _http;

    public GoogleFilesClient(HttpClient http, IOptions<GoogleOptions> options, ILogger<GoogleFilesClient> logger, TimeProvider time)
    {
        _options = options.Value;
        _http = new ServiceHttp(http, ServiceName, ServiceErrorParsers.Google, logger, time);
    }

    public async Task<IReadOnlyList<DriveFile>> SearchFilesAsync(string accessToken, string query, int maxResults = 10, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(accessToken);
        ArgumentException.ThrowIfNullOrWhiteSpace(query);
        // Drive's query language: string literals in single quotes, with ' and \ escaped by a backslash.
        var literal = query.Trim().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);
        var url = new StringBuilder(_options.DriveBaseUrl.TrimEnd('/')).Append("/files")
            .Append("?q=").Append(Uri.EscapeDataString($"(name contains '{literal}' or fullText contains '{literal}') and trashed = false"))
            .Append("&pageSize=").Append(Math.Clamp(maxResults, 1, 100))
            .Append("&fields=").Append(Uri.EscapeDataString("files(id,name,mimeType,modifiedTime,webViewLink)"))
            .Append("&orderBy=").Append(Uri.EscapeDataString("modifiedTime desc"));
        var body = await _http.SendAsync(ServiceHttp.Request(HttpMethod.Get, url.ToString(), accessToken), "drive.files.list", cancellationToken);
        return body.GetArrayItems("files")
            .Select(f => new DriveFile(f.GetStringOrNull("id") ?? "", f.GetStringOrNull("name") ?? "", f.GetStringOrNull("mimeType"), f.GetDateTimeOffsetOrNull("modifiedTime"), f.GetStringOrNull("webViewLink")))
            .ToList();
    }

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
