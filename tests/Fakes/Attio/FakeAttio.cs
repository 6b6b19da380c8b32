using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Attio;

/// <summary>
/// A fake of the Attio REST API v2: bearer key check, objects <c>people</c>, <c>companies</c> and <c>deals</c> (and any
/// defined with <see cref="DefineObject"/>), record query/get/create/update/assert with Attio's value shapes,
/// uniqueness and option checks (PATCH adds to multi-value attributes, PUT replaces them), and notes and tasks (create, delete).
/// </summary>
public sealed partial class FakeAttio : FakeServer
{
    internal const string TokenActorId = "7f2c1c4e-0d55-4b0c-9a51-3f3a9b5d8e01";
    private const string WorkspaceId = "14beef7a-99f7-4534-a87e-70b564330a4c";
    private readonly Lock _gate = new();
    private readonly Dictionary<string, AttioObjectState> _objects = new(StringComparer.Ordinal);
    private readonly List<AttioRecordState> _records = [];
    private readonly List<JsonObject> _notes = [];
    private readonly List<JsonObject> _tasks = [];
    private readonly Dictionary<string, string> _members = new(StringComparer.OrdinalIgnoreCase);

    private FakeAttio()
    {
        DefineObject("people",
            new("name", "personal-name"),
            new("email_addresses", "email-address", IsMultiselect: true, IsUnique: true),
            new("phone_numbers", "phone-number", IsMultiselect: true),
            new("job_title", "text"),
            new("description", "text"),
            new("company", "record-reference"),
            new("primary_location", "location"));
        DefineObject("companies",
            new("name", "text"),
            new("domains", "domain", IsMultiselect: true, IsUnique: true),
            new("description", "text"),
            new("categories", "select", IsMultiselect: true, Options: ["SaaS", "B2B", "B2C", "Enterprise", "Hardware"]),
            new("employee_range", "select", Options: ["1-10", "11-50", "51-250", "251-1K", "1K-5K", "5K+"]),
            new("team", "record-reference", IsMultiselect: true));
        DefineObject("deals",
            new("name", "text"),
            new("stage", "status", Options: ["Lead", "In Progress", "Won 🎉", "Lost"]),
            new("value", "currency"),
            new("owner", "actor-reference"),
            new("associated_company", "record-reference"),
            new("associated_people", "record-reference", IsMultiselect: true));
        AddWorkspaceMember("owner@company.com");
    }

    /// <summary>Gets or sets the API key the fake accepts.</summary>
    public string ApiKey { get; set; } = "attio_fake_api_key";

    /// <summary>Gets copies of the notes created, in Attio's response shape.</summary>
    public IReadOnlyList<JsonObject> Notes
    {
        get
        {
            lock (_gate)
            {
                return _notes.Select(n => (JsonObject)n.DeepClone()).ToArray();
            }
        }
    }

    /// <summary>Gets copies of the tasks created, in Attio's response shape.</summary>
    public IReadOnlyList<JsonObject> Tasks
    {
        get
        {
            lock (_gate)
            {
                return _tasks.Select(t => (JsonObject)t.DeepClone()).ToArray();
            }
        }
    }

    /// <summary>Gets the number of records of an object.</summary>
    public int RecordCount(string objectSlug)
    {
        lock (_gate)
        {
            return _records.Count(r => r.ObjectSlug == objectSlug);
        }
    }

    /// <summary>Starts a fake on a free port of 127.0.0.1.</summary>
    public static async Task<FakeAttio> StartAsync(CancellationToken cancellationToken = default)
    {
        var fake = new FakeAttio();
        await fake.StartServerAsync(cancellationToken);
        return fake;
    }

    /// <summary>The settings that point the app at this fake, for <c>AddInMemoryCollection</c>.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ConfigurationValues() =>
    [
        new("ATTIO_API_KEY", ApiKey),
        new("Attio:BaseUrl", Url),
    ];

    /// <summary>Defines (or replaces) an object and its attributes.</summary>
    public void DefineObject(string slug, params FakeAttioAttribute[] attributes)
    {
        lock (_gate)
        {
            _objects[slug] = new AttioObjectState
            {
                Slug = slug,
                Id = Guid.NewGuid().ToString(),
                Attributes = attributes.ToDictionary(a => a.Slug, StringComparer.Ordinal),
            };
        }
    }

    /// <summary>Adds a workspace member (for task assignees); returns their id.</summary>
    public string AddWorkspaceMember(string email)
    {
        lock (_gate)
        {
            var id = Guid.NewGuid().ToString();
            _members[email] = id;
            return id;
        }
    }

    /// <summary>The id of a workspace member.</summary>
    public string WorkspaceMemberId(string email)
    {
        lock (_gate)
        {
            return _members[email];
        }
    }

    /// <summary>Adds a record with values in Attio's write shape; returns its id.</summary>
    public string AddRecord(string objectSlug, JsonObject values)
    {
        lock (_gate)
        {
            try
            {
                return CreateLocked(FindObject(objectSlug), values).Id;
            }
            catch (AttioFakeException ex)
            {
                throw new ArgumentException(ex.Message, nameof(values), ex);
            }
        }
    }

    /// <summary>A copy of a record as the API answers it, or null.</summary>
    public JsonObject? GetRecord(string objectSlug, string recordId)
    {
        lock (_gate)
        {
            return _records.FirstOrDefault(r => r.ObjectSlug == objectSlug && r.Id == recordId) is { } record ? RecordJson(record) : null;
        }
    }

    protected override void MapRoutes(WebApplication app)
    {
        app.Use(CheckKeyAsync);
        app.MapPost("/v2/objects/{obj}/records/query", (HttpContext c, string obj) => HandleAsync(c, b => Query(obj, b))).WithName(AttioEndpoints.RecordsQuery);
        app.MapGet("/v2/objects/{obj}/records/{id}", (HttpContext c, string obj, string id) => HandleAsync(c, b => Get(obj, id))).WithName(AttioEndpoints.RecordsGet);
        app.MapPost("/v2/objects/{obj}/records", (HttpContext c, string obj) => HandleAsync(c, b => Create(obj, b))).WithName(AttioEndpoints.RecordsCreate);
        app.MapPatch("/v2/objects/{obj}/records/{id}", (HttpContext c, string obj, string id) => HandleAsync(c, b => Update(obj, id, b))).WithName(AttioEndpoints.RecordsUpdate);
        app.MapPut("/v2/objects/{obj}/records/{id}", (HttpContext c, string obj, string id) => HandleAsync(c, b => Update(obj, id, b, overwrite: true))).WithName(AttioEndpoints.RecordsReplace);
        app.MapPut("/v2/objects/{obj}/records", (HttpContext c, string obj) => HandleAsync(c, b => Assert(obj, c.Request.Query["matching_attribute"].ToString(), b))).WithName(AttioEndpoints.RecordsAssert);
        app.MapPost("/v2/notes", (Delegate)((HttpContext c) => HandleAsync(c, CreateNote))).WithName(AttioEndpoints.NotesCreate);
        app.MapPost("/v2/tasks", (Delegate)((HttpContext c) => HandleAsync(c, CreateTask))).WithName(AttioEndpoints.TasksCreate);
        app.MapDelete("/v2/notes/{id}", (HttpContext c, string id) => HandleAsync(c, b => Delete(_notes, "note_id", id, "Note"))).WithName(AttioEndpoints.NotesDelete);
        app.MapDelete("/v2/tasks/{id}", (HttpContext c, string id) => HandleAsync(c, b => Delete(_tasks, "task_id", id, "Task"))).WithName(AttioEndpoints.TasksDelete);
        app.MapGet("/v2/tasks", (Delegate)((HttpContext c) => HandleAsync(c, _ => ListTasks(c.Request.Query)))).WithName(AttioEndpoints.TasksList);
        app.MapPatch("/v2/tasks/{id}", (HttpContext c, string id) => HandleAsync(c, b => UpdateTask(id, b))).WithName(AttioEndpoints.TasksUpdate);
        app.MapGet("/v2/notes", (Delegate)((HttpContext c) => HandleAsync(c, _ => ListNotes(c.Request.Query)))).WithName(AttioEndpoints.NotesList);
    }

    protected override JsonObject ErrorBody(string endpoint, int statusCode, string message, string? code = null)
    {
        var (type, defaultCode) = statusCode switch
        {
            400 => ("invalid_request_error", "validation_type"),
            401 => ("auth_error", "unauthorized"),
            403 => ("auth_error", "forbidden"),
            404 => ("invalid_request_error", "not_found"),
            409 => ("invalid_request_error", "conflict"),
            429 => ("rate_limit_error", "rate_limit_exceeded"),
            _ => ("api_error", "internal_server_error"),
        };
        return AttioError(statusCode, type, code ?? defaultCode, message);
    }

    private static JsonObject AttioError(int status, string type, string code, string message) => new()
    {
        ["status_code"] = status,
        ["type"] = type,
        ["code"] = code,
        ["message"] = message,
    };

    private async Task CheckKeyAsync(HttpContext context, RequestDelegate next)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || header[7..] != ApiKey)
        {
            await Json(AttioError(401, "auth_error", "unauthorized", "The access token is invalid or has been revoked."), 401).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private async Task<IResult> HandleAsync(HttpContext context, Func<JsonObject, IResult> handler)
    {
        JsonObject body = [];
        if (context.Request.ContentLength is > 0)
        {
            try
            {
                body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject ?? [];
            }
            catch (JsonException)
            {
                return Json(AttioError(400, "invalid_request_error", "validation_type", "Body payload is not valid JSON."), 400);
            }
        }

        try
        {
            lock (_gate)
            {
                return handler(body);
            }
        }
        catch (AttioFakeException ex)
        {
            return Json(AttioError(ex.Status, ex.Type, ex.Code, ex.Message), ex.Status);
        }
    }

    private static string Timestamp(DateTimeOffset time) => AttioValueWriter.Timestamp(time);
}
