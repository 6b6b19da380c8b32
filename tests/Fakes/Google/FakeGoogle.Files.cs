using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Google;

/// <summary>
/// Drive v3 <c>files.list</c>, Docs v1 <c>documents.get</c>, Sheets v4 <c>spreadsheets.values.get</c> and People v1
/// <c>people:searchContacts</c> over each account's own files and contacts, with Google's scopes and answer shapes.
/// </summary>
public sealed partial class FakeGoogle
{
    private const string Drive = "https://www.googleapis.com/auth/drive";
    private const string DriveReadonly = "https://www.googleapis.com/auth/drive.readonly";
    private const string DriveFile = "https://www.googleapis.com/auth/drive.file";
    private const string Documents = "https://www.googleapis.com/auth/documents";
    private const string DocumentsReadonly = "https://www.googleapis.com/auth/documents.readonly";
    private const string Spreadsheets = "https://www.googleapis.com/auth/spreadsheets";
    private const string SpreadsheetsReadonly = "https://www.googleapis.com/auth/spreadsheets.readonly";
    private const string Contacts = "https://www.googleapis.com/auth/contacts";
    private const string ContactsReadonly = "https://www.googleapis.com/auth/contacts.readonly";
    private const string DocMimeType = "application/vnd.google-apps.document";
    private const string SheetMimeType = "application/vnd.google-apps.spreadsheet";
    private const string FolderMimeType = "application/vnd.google-apps.folder";
    private static readonly Regex AppPropertyClause = new(@"appProperties has \{ key='((?:[^'\\]|\\.)*)' and value='((?:[^'\\]|\\.)*)' \}", RegexOptions.CultureInvariant);
    private static readonly Regex ContainsClause = new(@"(name|fullText) contains '((?:[^'\\]|\\.)*)'", RegexOptions.CultureInvariant);
    private static readonly Regex A1Range = new(@"^(?:(?<sheet>'[^']+'|[^!]+)!)?(?<c1>[A-Z]+)(?<r1>[0-9]+)(?::(?<c2>[A-Z]+)(?<r2>[0-9]+))?$", RegexOptions.CultureInvariant);
    private readonly List<FakeFile> _files = [];
    private readonly List<FakeContact> _contacts = [];

    /// <summary>Gets the Drive API root (<c>.../drive/v3</c>).</summary>
    public string DriveBaseUrl => Url + "/drive/v3";

    /// <summary>Gets the Docs API root (<c>.../v1</c>, paths <c>/documents/{id}</c>).</summary>
    public string DocsBaseUrl => Url + "/docs/v1";

    /// <summary>Gets the Sheets API root (<c>.../v4</c>).</summary>
    public string SheetsBaseUrl => Url + "/sheets/v4";

    /// <summary>Gets the People API root (<c>.../v1</c>).</summary>
    public string PeopleBaseUrl => Url + "/people/v1";

    /// <summary>Adds a Google Doc to an account's Drive (one paragraph per line); returns its id.</summary>
    public string AddDocument(string email, string title, params string[] paragraphs) =>
        AddFile(email, title, DocMimeType, string.Join('\n', paragraphs), null);

    /// <summary>Adds a Google Sheet with one sheet of rows; returns its id.</summary>
    public string AddSpreadsheet(string email, string title, string sheetName, params string[][] rows) =>
        AddFile(email, title, SheetMimeType, string.Join('\n', rows.Select(r => string.Join(' ', r))), new Dictionary<string, string[][]>(StringComparer.Ordinal) { [sheetName] = rows });

    /// <summary>Adds a Drive folder to an account's Drive; returns its id.</summary>
    public string AddFolder(string email, string name) => AddFile(email, name, FolderMimeType, "", null);

    /// <summary>Gets a file of any account by id as it is now (a created Doc's text, folder and app properties), or null.</summary>
    public FakeDriveFile? GetFile(string id)
    {
        lock (_gate)
        {
            return _files.FirstOrDefault(f => f.Id == id) is { } f ? new FakeDriveFile(f.Owner, f.Id, f.Name, f.MimeType, f.Text, f.Parent, f.AppProperties ?? new Dictionary<string, string>()) : null;
        }
    }

    /// <summary>Gets every file of an account's Drive.</summary>
    public IReadOnlyList<FakeDriveFile> Files(string email)
    {
        lock (_gate)
        {
            return [.. _files.Where(f => f.Owner.Equals(email, StringComparison.OrdinalIgnoreCase)).Select(f => new FakeDriveFile(f.Owner, f.Id, f.Name, f.MimeType, f.Text, f.Parent, f.AppProperties ?? new Dictionary<string, string>()))];
        }
    }

    /// <summary>Adds a contact to an account's contacts.</summary>
    public void AddContact(string email, string name, string? contactEmail = null, string? phone = null, string? organization = null)
    {
        var owner = Account(email).Email;
        lock (_gate)
        {
            _contacts.Add(new FakeContact(owner, "people/c" + NewId(8), name, contactEmail, phone, organization));
        }
    }

    private string AddFile(string email, string title, string mimeType, string text, Dictionary<string, string[][]>? sheets)
    {
        var owner = Account(email).Email;
        var id = "1" + NewId(20);
        lock (_gate)
        {
            _files.Add(new FakeFile(owner, id, title, mimeType, text, sheets, DateTimeOffset.UtcNow));
        }

        return id;
    }

    private void MapFiles(WebApplication app)
    {
        app.MapGet("/drive/v3/files", ListFiles).WithName(GoogleEndpoints.DriveFilesList);
        app.MapGet("/docs/v1/documents/{documentId}", GetDocument).WithName(GoogleEndpoints.DocsGet);
        app.MapPost("/drive/v3/files", (Delegate)CreateFileAsync).WithName(GoogleEndpoints.DriveFilesCreate);
        app.MapPost("/docs/v1/documents/{documentId}:batchUpdate", BatchUpdateAsync).WithName(GoogleEndpoints.DocsBatchUpdate);
        app.MapGet("/sheets/v4/spreadsheets/{spreadsheetId}/values/{range}", GetValues).WithName(GoogleEndpoints.SheetsValuesGet);
        app.MapGet("/people/v1/people:searchContacts", SearchContacts).WithName(GoogleEndpoints.PeopleSearchContacts);
    }

    private IResult ListFiles(HttpContext context)
    {
        if (Authenticate(context, [Drive, DriveReadonly, DriveFile], out var account) is { } denied)
        {
            return denied;
        }

        var q = context.Request.Query["q"].ToString();
        var words = ContainsClause.Matches(q).Select(m => Regex.Unescape(m.Groups[2].Value)).ToList();
        var tagged = AppPropertyClause.Match(q) is { Success: true } tag ? (Key: Regex.Unescape(tag.Groups[1].Value), Value: Regex.Unescape(tag.Groups[2].Value)) : default;
        if (q.Length > 0 && words.Count == 0 && !q.Contains("trashed", StringComparison.Ordinal))
        {
            return ApiFailure(400, "Invalid Value", "INVALID_ARGUMENT", "invalid");
        }

        var pageSize = int.TryParse(context.Request.Query["pageSize"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? Math.Clamp(n, 1, 1000) : 100;
        List<FakeFile> found;
        lock (_gate)
        {
            found = _files.Where(f => f.Owner == account.Email)
                .Where(f => words.Count == 0 || words.Any(w => f.Name.Contains(w, StringComparison.OrdinalIgnoreCase) || f.Text.Contains(w, StringComparison.OrdinalIgnoreCase)))
                .Where(f => tagged.Key is null || (f.AppProperties?.TryGetValue(tagged.Key, out var v) == true && v == tagged.Value))
                .OrderByDescending(f => f.Modified).Take(pageSize).ToList();
        }

        return Json(new JsonObject
        {
            ["files"] = new JsonArray([.. found.Select(f => (JsonNode)new JsonObject
            {
                ["id"] = f.Id,
                ["name"] = f.Name,
                ["mimeType"] = f.MimeType,
                ["modifiedTime"] = f.Modified.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["webViewLink"] = f.MimeType == SheetMimeType ? $"https://docs.google.com/spreadsheets/d/{f.Id}/edit" : $"https://docs.google.com/document/d/{f.Id}/edit",
            })]),
        });
    }

    private IResult GetDocument(HttpContext context, string documentId)
    {
        if (Authenticate(context, [Documents, DocumentsReadonly, Drive, DriveReadonly, DriveFile], out var account) is { } denied)
        {
            return denied;
        }

        if (Find(account, documentId, DocMimeType) is not { } doc)
        {
            return ApiFailure(404, "Requested entity was not found.", "NOT_FOUND", "notFound");
        }

        var content = new JsonArray(new JsonObject { ["endIndex"] = 1, ["sectionBreak"] = new JsonObject() });
        var index = 1;
        foreach (var line in doc.Text.Split('\n'))
        {
            var text = line + "\n";
            content.Add(new JsonObject
            {
                ["startIndex"] = index,
                ["endIndex"] = index + text.Length,
                ["paragraph"] = new JsonObject
                {
                    ["elements"] = new JsonArray(new JsonObject
                    {
                        ["startIndex"] = index,
                        ["endIndex"] = index + text.Length,
                        ["textRun"] = new JsonObject { ["content"] = text, ["textStyle"] = new JsonObject() },
                    }),
                    ["paragraphStyle"] = new JsonObject { ["namedStyleType"] = "NORMAL_TEXT" },
                },
            });
            index += text.Length;
        }

        return Json(new JsonObject { ["title"] = doc.Name, ["body"] = new JsonObject { ["content"] = content }, ["revisionId"] = "r1", ["documentId"] = doc.Id });
    }

    private IResult GetValues(HttpContext context, string spreadsheetId, string range)
    {
        if (Authenticate(context, [Spreadsheets, SpreadsheetsReadonly, Drive, DriveReadonly, DriveFile], out var account) is { } denied)
        {
            return denied;
        }

        if (Find(account, spreadsheetId, SheetMimeType) is not { Sheets: { } sheets })
        {
            return ApiFailure(404, "Requested entity was not found.", "NOT_FOUND", "notFound");
        }

        var match = A1Range.Match(range);
        var sheetName = match.Success ? match.Groups["sheet"].Value.Trim('\'') : "";
        sheetName = sheetName.Length == 0 ? sheets.Keys.First() : sheetName;
        if (!match.Success || !sheets.TryGetValue(sheetName, out var rows))
        {
            return ApiFailure(400, $"Unable to parse range: {range}", "INVALID_ARGUMENT", "badRequest");
        }

        int Column(string letters) => letters.Aggregate(0, (acc, c) => (acc * 26) + (c - 'A' + 1)) - 1;
        var (c1, r1) = (Column(match.Groups["c1"].Value), int.Parse(match.Groups["r1"].Value, CultureInfo.InvariantCulture) - 1);
        var (c2, r2) = match.Groups["c2"].Success ? (Column(match.Groups["c2"].Value), int.Parse(match.Groups["r2"].Value, CultureInfo.InvariantCulture) - 1) : (c1, r1);
        var values = new JsonArray();
        for (var r = r1; r <= r2 && r < rows.Length; r++)
        {
            // Sheets leaves out trailing empty cells and rows.
            var cells = rows[r].Skip(c1).Take(c2 - c1 + 1).ToList();
            values.Add(new JsonArray([.. cells.Select(c => (JsonNode)c)]));
        }

        var result = new JsonObject { ["range"] = $"{sheetName}!{match.Groups["c1"].Value}{r1 + 1}:{(match.Groups["c2"].Success ? match.Groups["c2"].Value + match.Groups["r2"].Value : match.Groups["c1"].Value + match.Groups["r1"].Value)}", ["majorDimension"] = "ROWS" };
        if (values.Count > 0)
        {
            result["values"] = values;
        }

        return Json(result);
    }

    private IResult SearchContacts(HttpContext context)
    {
        if (Authenticate(context, [Contacts, ContactsReadonly], out var account) is { } denied)
        {
            return denied;
        }

        var query = context.Request.Query["query"].ToString();
        var readMask = context.Request.Query["readMask"].ToString();
        if (readMask.Length == 0)
        {
            return ApiFailure(400, "Request must set field mask.", "INVALID_ARGUMENT", "badRequest");
        }

        var pageSize = int.TryParse(context.Request.Query["pageSize"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? Math.Min(n, 30) : 10;
        var mask = readMask.Split(',', StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        List<FakeContact> found;
        lock (_gate)
        {
            // Prefix phrases of names, emails, phones and organizations; an empty query (the warm-up) finds nothing.
            found = query.Length == 0 ? [] : _contacts.Where(c => c.Owner == account.Email)
                .Where(c => new[] { c.Name, c.Email, c.Phone, c.Organization }.OfType<string>()
                    .Any(field => field.StartsWith(query, StringComparison.OrdinalIgnoreCase) || field.Split(' ').Any(w => w.StartsWith(query, StringComparison.OrdinalIgnoreCase))))
                .Take(pageSize).ToList();
        }

        var results = new JsonArray();
        foreach (var c in found)
        {
            var person = new JsonObject { ["resourceName"] = c.ResourceName, ["etag"] = "%E" + c.ResourceName.GetHashCode(StringComparison.Ordinal) };
            if (mask.Contains("names"))
            {
                person["names"] = new JsonArray(new JsonObject { ["displayName"] = c.Name, ["givenName"] = c.Name.Split(' ')[0] });
            }

            if (mask.Contains("emailAddresses") && c.Email is not null)
            {
                person["emailAddresses"] = new JsonArray(new JsonObject { ["value"] = c.Email, ["type"] = "work" });
            }

            if (mask.Contains("phoneNumbers") && c.Phone is not null)
            {
                person["phoneNumbers"] = new JsonArray(new JsonObject { ["value"] = c.Phone, ["type"] = "mobile" });
            }

            if (mask.Contains("organizations") && c.Organization is not null)
            {
                person["organizations"] = new JsonArray(new JsonObject { ["name"] = c.Organization });
            }

            results.Add(new JsonObject { ["person"] = person });
        }

        return Json(results.Count > 0 ? new JsonObject { ["results"] = results } : new JsonObject());
    }

    /// <summary>Drive <c>files.create</c> with metadata only (a Google Doc, folder...): name, mimeType, parents (one folder of the account), appProperties.</summary>
    private async Task<IResult> CreateFileAsync(HttpContext context)
    {
        if (Authenticate(context, [Drive, DriveFile], out var account) is { } denied)
        {
            return denied;
        }

        if (await ReadBodyAsync(context) is not JsonObject body)
        {
            return ApiFailure(400, "Invalid JSON payload received.", "INVALID_ARGUMENT", "parseError");
        }

        var parents = body["parents"] as JsonArray;
        if (parents is { Count: > 1 })
        {
            return ApiFailure(403, "Increasing the number of parents is not allowed.", "PERMISSION_DENIED", "cannotAddParent");
        }

        var parent = parents is [JsonValue p] ? p.GetValue<string>() : null;
        if (parent is not null && Find(account, parent, FolderMimeType) is null)
        {
            return ApiFailure(404, $"File not found: {parent}.", "NOT_FOUND", "notFound");
        }

        var properties = (body["appProperties"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? "", StringComparer.Ordinal);
        var name = body["name"]?.GetValue<string>() is { Length: > 0 } n ? n : "Untitled";
        var mimeType = body["mimeType"]?.GetValue<string>() ?? "application/octet-stream";
        var id = "1" + NewId(20);
        lock (_gate)
        {
            _files.Add(new FakeFile(account.Email, id, name, mimeType, "", null, DateTimeOffset.UtcNow, parent, properties));
        }

        var file = new JsonObject { ["kind"] = "drive#file", ["id"] = id, ["name"] = name, ["mimeType"] = mimeType };
        if (context.Request.Query["fields"].ToString().Contains("webViewLink", StringComparison.Ordinal))
        {
            file["webViewLink"] = $"https://docs.google.com/document/d/{id}/edit";
        }

        return Json(file);
    }

    /// <summary>Docs <c>documents.batchUpdate</c>: <c>insertText</c> at a body index (1 is the start).</summary>
    private async Task<IResult> BatchUpdateAsync(HttpContext context, string documentId)
    {
        if (Authenticate(context, [Documents, Drive, DriveFile], out var account) is { } denied)
        {
            return denied;
        }

        if (Find(account, documentId, DocMimeType) is null)
        {
            return ApiFailure(404, "Requested entity was not found.", "NOT_FOUND", "notFound");
        }

        if (await ReadBodyAsync(context) is not JsonObject { } body || body["requests"] is not JsonArray { Count: > 0 } requests)
        {
            return ApiFailure(400, "Invalid requests: must have at least one request.", "INVALID_ARGUMENT", "badRequest");
        }

        var replies = new JsonArray();
        foreach (var request in requests)
        {
            if (request?["insertText"] is not JsonObject insert || insert["text"]?.GetValue<string>() is not { } text || insert["location"]?["index"]?.GetValue<int>() is not { } index)
            {
                return ApiFailure(400, "Invalid requests[0]: the fake understands insertText with location.index only.", "INVALID_ARGUMENT", "badRequest");
            }

            lock (_gate)
            {
                var i = _files.FindIndex(f => f.Id == documentId);
                var doc = _files[i];

                // The body ends with a newline at index Text.Length + 1; text goes before it.
                if (index < 1 || index > doc.Text.Length + 1)
                {
                    return ApiFailure(400, $"Invalid requests[0].insertText: Index {index} must be less than the end index of the referenced segment, {doc.Text.Length + 2}.", "INVALID_ARGUMENT", "badRequest");
                }

                _files[i] = doc with { Text = doc.Text.Insert(index - 1, text), Modified = DateTimeOffset.UtcNow };
            }

            replies.Add(new JsonObject());
        }

        return Json(new JsonObject { ["documentId"] = documentId, ["replies"] = replies, ["writeControl"] = new JsonObject { ["requiredRevisionId"] = "r2" } });
    }

    private FakeFile? Find(FakeGoogleAccount account, string id, string mimeType)
    {
        lock (_gate)
        {
            return _files.FirstOrDefault(f => f.Owner == account.Email && f.Id == id && f.MimeType == mimeType);
        }
    }

    private sealed record FakeFile(string Owner, string Id, string Name, string MimeType, string Text, Dictionary<string, string[][]>? Sheets, DateTimeOffset Modified, string? Parent = null, Dictionary<string, string>? AppProperties = null);

    private sealed record FakeContact(string Owner, string ResourceName, string Name, string? Email, string? Phone, string? Organization);
}
