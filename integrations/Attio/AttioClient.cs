using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CompanyHub.Integrations.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations.Attio;

/// <summary>The Attio REST API v2 over plain HttpClient.</summary>
public sealed class AttioClient : IAttioClient
{
    internal const string ServiceName = "Attio";
    private const int MaxLimit = 500;
    private const int MaxNotes = 50;
    private readonly AttioOptions _options;
    private readonly ServiceHttp _http;
    private readonly ILogger _logger;

    public AttioClient(HttpClient http, IOptions<AttioOptions> options, ILogger<AttioClient> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _http = new ServiceHttp(http, ServiceName, ServiceErrorParsers.Attio, logger, time);
    }

    public bool IsConfigured => _options.IsConfigured;

    public async Task<IReadOnlyList<AttioRecord>> QueryRecordsAsync(
        string objectSlug, JsonObject? filter = null, JsonArray? sorts = null, int limit = 25, int offset = 0,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objectSlug);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        EnsureConfigured();
        var body = new JsonObject { ["limit"] = Math.Clamp(limit, 1, MaxLimit), ["offset"] = offset };
        if (filter is not null)
        {
            body["filter"] = filter.DeepClone();
        }

        if (sorts is not null)
        {
            body["sorts"] = sorts.DeepClone();
        }

        var result = await SendAsync(HttpMethod.Post, $"{RecordsPath(objectSlug)}/query", body, "attio.records.query", cancellationToken);
        return result.GetArrayItems("data").Select(r => AttioValues.ReadRecord(r, objectSlug)).ToArray();
    }

    public async Task<AttioRecord> GetRecordAsync(string objectSlug, string recordId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objectSlug);
        ArgumentException.ThrowIfNullOrWhiteSpace(recordId);
        EnsureConfigured();
        var result = await SendAsync(HttpMethod.Get, $"{RecordsPath(objectSlug)}/{Uri.EscapeDataString(recordId)}", null, "attio.records.get", cancellationToken);
        return ReadData(result, objectSlug);
    }

    public async Task<JsonObject> GetRecordValuesAsync(string objectSlug, string recordId, IEnumerable<string> attributes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objectSlug);
        ArgumentException.ThrowIfNullOrWhiteSpace(recordId);
        ArgumentNullException.ThrowIfNull(attributes);
        EnsureConfigured();
        var result = await SendAsync(HttpMethod.Get, $"{RecordsPath(objectSlug)}/{Uri.EscapeDataString(recordId)}", null, "attio.records.get", cancellationToken);
        var stored = result.GetObjectOrNull("data")?.GetObjectOrNull("values");
        var values = new JsonObject();
        foreach (var slug in attributes.Distinct(StringComparer.Ordinal))
        {
            values[slug] = new JsonArray(stored is { } s && s.TryGetProperty(slug, out var current) && current.ValueKind == JsonValueKind.Array
                ? current.EnumerateArray().Where(v => v.GetStringOrNull("active_until") is null).Select(v => (JsonNode)AttioValues.ToWriteValue(v)).ToArray()
                : []);
        }

        return values;
    }

    public async Task<AttioRecord> CreateRecordAsync(string objectSlug, JsonObject values, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objectSlug);
        ArgumentNullException.ThrowIfNull(values);
        EnsureConfigured();
        var result = await SendAsync(HttpMethod.Post, RecordsPath(objectSlug), Values(values), "attio.records.create", cancellationToken);
        var record = ReadData(result, objectSlug);
        _logger.AttioChanged(objectSlug, record.Id, "created");
        return record;
    }

    public async Task<AttioRecord> UpdateRecordAsync(string objectSlug, string recordId, JsonObject values, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objectSlug);
        ArgumentException.ThrowIfNullOrWhiteSpace(recordId);
        ArgumentNullException.ThrowIfNull(values);
        EnsureConfigured();
        var result = await SendAsync(
            HttpMethod.Patch, $"{RecordsPath(objectSlug)}/{Uri.EscapeDataString(recordId)}", Values(values), "attio.records.update", cancellationToken);
        var record = ReadData(result, objectSlug);
        _logger.AttioChanged(objectSlug, record.Id, "updated");
        return record;
    }

    public async Task<AttioRecord> ReplaceRecordValuesAsync(string objectSlug, string recordId, JsonObject values, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objectSlug);
        ArgumentException.ThrowIfNullOrWhiteSpace(recordId);
        ArgumentNullException.ThrowIfNull(values);
        EnsureConfigured();
        var result = await SendAsync(
            HttpMethod.Put, $"{RecordsPath(objectSlug)}/{Uri.EscapeDataString(recordId)}", Values(values), "attio.records.replace", cancellationToken);
        var record = ReadData(result, objectSlug);
        _logger.AttioChanged(objectSlug, record.Id, "updated (values replaced)");
        return record;
    }

    public async Task<AttioRecord> AssertRecordAsync(string objectSlug, string matchingAttribute, JsonObject values, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objectSlug);
        ArgumentException.ThrowIfNullOrWhiteSpace(matchingAttribute);
        ArgumentNullException.ThrowIfNull(values);
        EnsureConfigured();
        var path = $"{RecordsPath(objectSlug)}?matching_attribute={Uri.EscapeDataString(matchingAttribute)}";
        var result = await SendAsync(HttpMethod.Put, path, Values(values), "attio.records.assert", cancellationToken);
        var record = ReadData(result, objectSlug);
        _logger.AttioChanged(objectSlug, record.Id, "asserted");
        return record;
    }

    public async Task<AttioNote> CreateNoteAsync(AttioNoteDraft note, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(note);
        ArgumentNullException.ThrowIfNull(note.Parent);
        ArgumentNullException.ThrowIfNull(note.Title);
        ArgumentException.ThrowIfNullOrWhiteSpace(note.Content, nameof(note));
        EnsureConfigured();
        var body = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["parent_object"] = note.Parent.Object,
                ["parent_record_id"] = note.Parent.RecordId,
                ["title"] = note.Title,
                ["format"] = note.Markdown ? "markdown" : "plaintext",
                ["content"] = note.Content,
            },
        };
        var data = (await SendAsync(HttpMethod.Post, "/v2/notes", body, "attio.notes.create", cancellationToken)).GetObjectOrNull("data")
            ?? throw MissingData("attio.notes.create");
        var created = ReadNote(data, note.Parent);
        _logger.AttioChanged("note", created.Id, "created");
        return created;
    }

    public async Task<AttioTask> CreateTaskAsync(AttioTaskDraft task, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentException.ThrowIfNullOrWhiteSpace(task.Content, nameof(task));
        EnsureConfigured();
        var body = new JsonObject
        {
            ["data"] = new JsonObject
            {
                ["content"] = task.Content,
                ["format"] = "plaintext",
                ["deadline_at"] = task.DeadlineAt?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["is_completed"] = task.IsCompleted,
                ["linked_records"] = new JsonArray(task.LinkedRecords
                    .Select(r => (JsonNode)new JsonObject { ["target_object"] = r.Object, ["target_record_id"] = r.RecordId }).ToArray()),
                ["assignees"] = new JsonArray(task.Assignees.Select(Assignee).ToArray()),
            },
        };
        var data = (await SendAsync(HttpMethod.Post, "/v2/tasks", body, "attio.tasks.create", cancellationToken)).GetObjectOrNull("data")
            ?? throw MissingData("attio.tasks.create");
        var created = ReadTask(data);
        _logger.AttioChanged("task", created.Id, "created");
        return created;
    }

    public async Task DeleteNoteAsync(string noteId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(noteId);
        EnsureConfigured();
        await SendAsync(HttpMethod.Delete, $"/v2/notes/{Uri.EscapeDataString(noteId)}", null, "attio.notes.delete", cancellationToken);
        _logger.AttioChanged("note", noteId, "deleted");
    }

    public async Task DeleteTaskAsync(string taskId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        EnsureConfigured();
        await SendAsync(HttpMethod.Delete, $"/v2/tasks/{Uri.EscapeDataString(taskId)}", null, "attio.tasks.delete", cancellationToken);
        _logger.AttioChanged("task", taskId, "deleted");
    }

    public async Task<IReadOnlyList<AttioTask>> ListTasksAsync(
        bool? isCompleted = null, AttioRecordReference? linkedTo = null, int limit = 25, int offset = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        EnsureConfigured();
        var path = new System.Text.StringBuilder("/v2/tasks?sort=created_at%3Adesc")
            .Append("&limit=").Append(Math.Clamp(limit, 1, MaxLimit)).Append("&offset=").Append(offset);
        if (isCompleted is { } completed)
        {
            path.Append("&is_completed=").Append(completed ? "true" : "false");
        }

        if (linkedTo is not null)
        {
            path.Append("&linked_object=").Append(Uri.EscapeDataString(linkedTo.Object)).Append("&linked_record_id=").Append(Uri.EscapeDataString(linkedTo.RecordId));
        }

        var result = await SendAsync(HttpMethod.Get, path.ToString(), null, "attio.tasks.list", cancellationToken);
        return result.GetArrayItems("data").Select(ReadTask).ToArray();
    }

    public async Task<AttioTask> SetTaskCompletedAsync(string taskId, bool isCompleted, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskId);
        EnsureConfigured();
        var body = new JsonObject { ["data"] = new JsonObject { ["is_completed"] = isCompleted } };
        var data = (await SendAsync(HttpMethod.Patch, $"/v2/tasks/{Uri.EscapeDataString(taskId)}", body, "attio.tasks.update", cancellationToken)).GetObjectOrNull("data")
            ?? throw MissingData("attio.tasks.update");
        var task = ReadTask(data);
        _logger.AttioChanged("task", task.Id, isCompleted ? "completed" : "reopened");
        return task;
    }

    public async Task<IReadOnlyList<AttioNote>> ListNotesAsync(AttioRecordReference? parent = null, int limit = 10, int offset = 0, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        EnsureConfigured();
        var path = new System.Text.StringBuilder("/v2/notes?limit=").Append(Math.Clamp(limit, 1, MaxNotes)).Append("&offset=").Append(offset);
        if (parent is not null)
        {
            path.Append("&parent_object=").Append(Uri.EscapeDataString(parent.Object)).Append("&parent_record_id=").Append(Uri.EscapeDataString(parent.RecordId));
        }

        var result = await SendAsync(HttpMethod.Get, path.ToString(), null, "attio.notes.list", cancellationToken);
        return result.GetArrayItems("data").Select(n => ReadNote(n, null)).ToArray();
    }

    private static AttioTask ReadTask(JsonElement data) => new(
        data.GetObjectOrNull("id")?.GetStringOrNull("task_id") ?? string.Empty,
        data.GetStringOrNull("content_plaintext"),
        data.GetDateTimeOffsetOrNull("deadline_at"),
        data.GetBoolean("is_completed"),
        data.GetArrayItems("linked_records")
            .Select(r => new AttioRecordReference(r.GetStringOrNull("target_object_id") ?? r.GetStringOrNull("target_object") ?? string.Empty, r.GetStringOrNull("target_record_id") ?? string.Empty))
            .ToArray(),
        data.GetDateTimeOffsetOrNull("created_at"));

    private static AttioNote ReadNote(JsonElement data, AttioRecordReference? parent) => new(
        data.GetObjectOrNull("id")?.GetStringOrNull("note_id") ?? string.Empty,
        new AttioRecordReference(data.GetStringOrNull("parent_object") ?? parent?.Object ?? string.Empty, data.GetStringOrNull("parent_record_id") ?? parent?.RecordId ?? string.Empty),
        data.GetStringOrNull("title"),
        data.GetStringOrNull("content_plaintext") ?? data.GetStringOrNull("content_markdown"),
        data.GetDateTimeOffsetOrNull("created_at"));

    private static JsonNode Assignee(string assignee) =>
        assignee.Contains('@', StringComparison.Ordinal)
            ? new JsonObject { ["workspace_member_email_address"] = assignee }
            : new JsonObject { ["referenced_actor_type"] = "workspace-member", ["referenced_actor_id"] = assignee };

    private static string RecordsPath(string objectSlug) => $"/v2/objects/{Uri.EscapeDataString(objectSlug)}/records";

    private static JsonObject Values(JsonObject values) => new() { ["data"] = new JsonObject { ["values"] = values.DeepClone() } };

    private static AttioRecord ReadData(JsonElement result, string objectSlug) =>
        AttioValues.ReadRecord(result.GetObjectOrNull("data") ?? throw MissingData("attio.records"), objectSlug);

    private static IntegrationException MissingData(string operation) =>
        new(ServiceName, $"Attio {operation} answered without a data object.", errorCode: "missing_data");

    private Task<JsonElement> SendAsync(HttpMethod method, string path, JsonNode? body, string operation, CancellationToken cancellationToken) =>
        _http.SendAsync(ServiceHttp.Request(method, _options.BaseUrl.TrimEnd('/') + path, _options.ApiKey, body), operation, cancellationToken);

    private void EnsureConfigured()
    {
        if (!_options.IsConfigured)
        {
            throw new ToolNotConfiguredException(ServiceName, "Attio is not configured: set ATTIO_API_KEY");
        }
    }
}
