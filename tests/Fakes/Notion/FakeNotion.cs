using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Notion;

/// <summary>
/// A fake of the Notion API: bearer key and <c>Notion-Version</c> checks, search, databases (2022-06-28) and data
/// sources (2025-09-03 and later), pages (retrieve, create, update, trash) and block children (list, append),
/// with Notion's validation, error bodies and cursor paging.
/// </summary>
public sealed partial class FakeNotion : FakeServer
{
    internal const string BotId = "0c4e2a3f-1b5d-4f6e-8a9b-0c1d2e3f4a5b";
    private const string DataSourcesVersion = "2025-09-03";
    private const string NoArchivedVersion = "2026-03-11";
    private static readonly HashSet<string> KnownVersions = new(StringComparer.Ordinal)
    {
        "2021-05-13", "2021-08-16", "2022-02-22", "2022-06-28", DataSourcesVersion, NoArchivedVersion,
    };

    private readonly Lock _gate = new();
    private readonly List<NotionDatabaseState> _databases = [];
    private readonly List<NotionPageState> _pages = [];

    private FakeNotion()
    {
    }

    /// <summary>Gets or sets the integration secret the fake accepts.</summary>
    public string ApiKey { get; set; } = "ntn_fake_integration_secret";

    /// <summary>Gets the number of pages (trashed ones included).</summary>
    public int PageCount
    {
        get
        {
            lock (_gate)
            {
                return _pages.Count;
            }
        }
    }

    /// <summary>Starts a fake on a free port of 127.0.0.1.</summary>
    public static async Task<FakeNotion> StartAsync(CancellationToken cancellationToken = default)
    {
        var fake = new FakeNotion();
        await fake.StartServerAsync(cancellationToken);
        return fake;
    }

    /// <summary>The settings that point the app at this fake, for <c>AddInMemoryCollection</c>.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ConfigurationValues(string? version = null) =>
    [
        new("NOTION_API_KEY", ApiKey),
        new("Notion:BaseUrl", Url),
        new("Notion:Version", version ?? DataSourcesVersion),
    ];

    /// <summary>
    /// Adds a database with a schema in Notion's create-database shape, such as
    /// <c>{"Name":{"title":{}},"Status":{"select":{"options":[{"name":"Todo"}]}}}</c>; just a "Name" title when null.
    /// </summary>
    public FakeNotionDatabase AddDatabase(string title, JsonObject? properties = null)
    {
        ArgumentNullException.ThrowIfNull(title);
        var schema = Wrap(() => NotionValues.Schema(properties ?? new JsonObject { ["Name"] = new JsonObject { ["title"] = new JsonObject() } }));
        var database = new NotionDatabaseState
        {
            Id = Guid.NewGuid().ToString(),
            DataSourceId = Guid.NewGuid().ToString(),
            Title = title,
            Schema = schema,
            Created = DateTimeOffset.UtcNow,
        };
        lock (_gate)
        {
            _databases.Add(database);
        }

        return new FakeNotionDatabase(database.Id, database.DataSourceId, title);
    }

    /// <summary>Adds a page to a database; <paramref name="properties"/> are written values (<c>{"Status":{"select":{"name":"Done"}}}</c>).</summary>
    public string AddDatabasePage(string databaseId, string title, JsonObject? properties = null, params string[] paragraphs)
    {
        lock (_gate)
        {
            var database = _databases.FirstOrDefault(d => d.Id == databaseId) ?? throw new KeyNotFoundException($"No fake database {databaseId}.");
            var titleName = database.Schema.First(p => p.Value!["type"]!.GetValue<string>() == "title").Key;
            var written = (JsonObject?)properties?.DeepClone() ?? [];
            written[titleName] ??= new JsonObject { ["title"] = TextArray(title) };
            return Wrap(() => CreatePageLocked("database_id", database.Id, written, Paragraphs(paragraphs)).Id);
        }
    }

    /// <summary>Adds a page under another page, or at the workspace top level when <paramref name="parentPageId"/> is null.</summary>
    public string AddPage(string? parentPageId, string title, params string[] paragraphs)
    {
        lock (_gate)
        {
            var written = new JsonObject { ["title"] = new JsonObject { ["title"] = TextArray(title) } };
            return Wrap(() => CreatePageLocked(parentPageId is null ? "workspace" : "page_id", parentPageId, written, Paragraphs(paragraphs)).Id);
        }
    }

    /// <summary>A copy of a page as the newest API version answers it, or null.</summary>
    public JsonObject? GetPage(string pageId)
    {
        lock (_gate)
        {
            return _pages.FirstOrDefault(p => p.Id == NormalizeId(pageId)) is { } page ? PageJson(page, NoArchivedVersion) : null;
        }
    }

    /// <summary>Copies of a page's top-level blocks.</summary>
    public IReadOnlyList<JsonObject> GetBlocks(string pageId)
    {
        lock (_gate)
        {
            return _pages.FirstOrDefault(p => p.Id == NormalizeId(pageId)) is { } page ? page.Blocks.Select(b => (JsonObject)b.DeepClone()).ToArray() : [];
        }
    }

    /// <summary>A copy of a database's schema (response shape), with any options added by writes.</summary>
    public JsonObject GetSchema(string databaseId)
    {
        lock (_gate)
        {
            return (JsonObject)(_databases.FirstOrDefault(d => d.Id == NormalizeId(databaseId)) ?? throw new KeyNotFoundException(databaseId)).Schema.DeepClone();
        }
    }

    protected override void MapRoutes(WebApplication app)
    {
        app.Use(CheckKeyAndVersionAsync);
        app.MapPost("/v1/search", (Delegate)((HttpContext c) => HandleAsync(c, b => Search(c, b)))).WithName(NotionEndpoints.Search);
        app.MapGet("/v1/databases/{id}", (HttpContext c, string id) => HandleAsync(c, b => RetrieveDatabase(c, id))).WithName(NotionEndpoints.DatabasesRetrieve);
        app.MapPost("/v1/databases/{id}/query", (HttpContext c, string id) => HandleAsync(c, b => QueryDatabase(c, id, b, dataSource: false))).WithName(NotionEndpoints.DatabasesQuery);
        app.MapGet("/v1/data_sources/{id}", (HttpContext c, string id) => HandleAsync(c, b => RetrieveDataSource(c, id))).WithName(NotionEndpoints.DataSourcesRetrieve);
        app.MapPost("/v1/data_sources/{id}/query", (HttpContext c, string id) => HandleAsync(c, b => QueryDatabase(c, id, b, dataSource: true))).WithName(NotionEndpoints.DataSourcesQuery);
        app.MapGet("/v1/pages/{id}", (HttpContext c, string id) => HandleAsync(c, b => RetrievePage(c, id))).WithName(NotionEndpoints.PagesRetrieve);
        app.MapPost("/v1/pages", (Delegate)((HttpContext c) => HandleAsync(c, b => CreatePage(c, b)))).WithName(NotionEndpoints.PagesCreate);
        app.MapPatch("/v1/pages/{id}", (HttpContext c, string id) => HandleAsync(c, b => UpdatePage(c, id, b))).WithName(NotionEndpoints.PagesUpdate);
        app.MapGet("/v1/blocks/{id}/children", (HttpContext c, string id) => HandleAsync(c, b => ListBlocks(c, id))).WithName(NotionEndpoints.BlocksChildrenList);
        app.MapPatch("/v1/blocks/{id}/children", (HttpContext c, string id) => HandleAsync(c, b => AppendBlocks(c, id, b))).WithName(NotionEndpoints.BlocksChildrenAppend);
    }

    protected override JsonObject ErrorBody(string endpoint, int statusCode, string message, string? code = null) =>
        NotionError(statusCode, code ?? statusCode switch
        {
            400 => "validation_error",
            401 => "unauthorized",
            403 => "restricted_resource",
            404 => "object_not_found",
            409 => "conflict_error",
            429 => "rate_limited",
            502 => "bad_gateway",
            503 => "service_unavailable",
            504 => "gateway_timeout",
            _ => "internal_server_error",
        }, message);

    private static JsonObject NotionError(int status, string code, string message) => new()
    {
        ["object"] = "error",
        ["status"] = status,
        ["code"] = code,
        ["message"] = message,
        ["request_id"] = Guid.NewGuid().ToString(),
    };

    private async Task CheckKeyAndVersionAsync(HttpContext context, RequestDelegate next)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal) || header[7..] != ApiKey)
        {
            await Json(NotionError(401, "unauthorized", "API token is invalid."), 401).ExecuteAsync(context);
            return;
        }

        var version = context.Request.Headers["Notion-Version"].ToString();
        if (version.Length == 0)
        {
            await Json(NotionError(400, "missing_version", "Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`."), 400).ExecuteAsync(context);
            return;
        }

        if (!KnownVersions.Contains(version))
        {
            await Json(NotionError(400, "validation_error", $"Notion-Version header failed validation: `{version}` is not a valid version."), 400).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private async Task<IResult> HandleAsync(HttpContext context, Func<JsonObject, IResult> handler)
    {
        JsonObject body = [];
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            try
            {
                body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject
                    ?? throw NotionFakeException.Validation("The request body should be a JSON object.");
            }
            catch (JsonException)
            {
                return Json(NotionError(400, "invalid_json", "Error parsing JSON body."), 400);
            }
            catch (NotionFakeException ex)
            {
                return Json(NotionError(ex.Status, ex.Code, ex.Message), ex.Status);
            }
        }

        try
        {
            lock (_gate)
            {
                return handler(body);
            }
        }
        catch (NotionFakeException ex)
        {
            return Json(NotionError(ex.Status, ex.Code, ex.Message), ex.Status);
        }
    }

    private static string Version(HttpContext context) => context.Request.Headers["Notion-Version"].ToString();

    private static bool UsesDataSources(HttpContext context) => string.CompareOrdinal(Version(context), DataSourcesVersion) >= 0;

    private static T Wrap<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (NotionFakeException ex)
        {
            throw new ArgumentException(ex.Message, ex);
        }
    }

    private static JsonArray TextArray(string text) => new(new JsonObject { ["text"] = new JsonObject { ["content"] = text } });

    private static JsonArray Paragraphs(string[] paragraphs) =>
        new(paragraphs.Select(p => (JsonNode)new JsonObject { ["paragraph"] = new JsonObject { ["rich_text"] = TextArray(p) } }).ToArray());

    /// <summary>Accepts an id with or without dashes; answers the dashed lower-case form (unknown shapes unchanged).</summary>
    internal static string NormalizeId(string id)
    {
        var hex = id.Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
        return HexPattern().IsMatch(hex) ? $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}" : id;
    }

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex HexPattern();
}
