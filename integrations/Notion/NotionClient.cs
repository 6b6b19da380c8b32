using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CompanyHub.Integrations.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CompanyHub.Integrations.Notion;

/// <summary>
/// The Notion API over plain HttpClient. Speaks both the database model (<c>2022-06-28</c>) and the data-source model
/// (from <c>2025-09-03</c>), chosen by <see cref="NotionOptions.Version"/>.
/// </summary>
public sealed class NotionClient : INotionClient
{
    internal const string ServiceName = "Notion";
    private const int MaxPageSize = 100;
    private readonly NotionOptions _options;
    private readonly ServiceHttp _http;
    private readonly ILogger _logger;

    public NotionClient(HttpClient http, IOptions<NotionOptions> options, ILogger<NotionClient> logger, TimeProvider time)
    {
        _options = options.Value;
        _logger = logger;
        _http = new ServiceHttp(http, ServiceName, ServiceErrorParsers.Notion, logger, time);
    }

    public bool IsConfigured => _options.IsConfigured;

    public async Task<NotionResults<NotionSearchItem>> SearchAsync(
        string? query, NotionSearchFilter filter = NotionSearchFilter.All, int pageSize = 20, string? startCursor = null,
        CancellationToken cancellationToken = default)
    {
        EnsureConfigured();
        var body = new JsonObject { ["page_size"] = Math.Clamp(pageSize, 1, MaxPageSize) };
        if (!string.IsNullOrWhiteSpace(query))
        {
            body["query"] = query;
        }

        if (filter != NotionSearchFilter.All)
        {
            var value = filter == NotionSearchFilter.Pages ? "page" : _options.UsesDataSources ? "data_source" : "database";
            body["filter"] = new JsonObject { ["property"] = "object", ["value"] = value };
        }

        if (!string.IsNullOrEmpty(startCursor))
        {
            body["start_cursor"] = startCursor;
        }

        var result = await SendAsync(HttpMethod.Post, "/v1/search", body, "notion.search", cancellationToken);
        return new NotionResults<NotionSearchItem>(
            result.GetArrayItems("results").Select(NotionJson.ReadSearchItem).ToArray(),
            NextCursor(result));
    }

    public async Task<NotionResults<NotionPage>> QueryDatabaseAsync(
        string databaseId, JsonObject? filter = null, JsonArray? sorts = null, int pageSize = 50, string? startCursor = null,
        CancellationToken cancellationToken = default)
    {
        EnsureConfigured();
        var id = NotionJson.NormalizeId(databaseId);
        var body = new JsonObject { ["page_size"] = Math.Clamp(pageSize, 1, MaxPageSize) };
        if (filter is not null)
        {
            body["filter"] = filter.DeepClone();
        }

        if (sorts is not null)
        {
            body["sorts"] = sorts.DeepClone();
        }

        if (!string.IsNullOrEmpty(startCursor))
        {
            body["start_cursor"] = startCursor;
        }

        JsonElement result;
        if (_options.UsesDataSources)
        {
            var dataSourceId = await ResolveDataSourceAsync(id, cancellationToken);
            result = await SendAsync(HttpMethod.Post, $"/v1/data_sources/{dataSourceId}/query", body, "notion.data_sources.query", cancellationToken);
        }
        else
        {
            result = await SendAsync(HttpMethod.Post, $"/v1/databases/{id}/query", body, "notion.databases.query", cancellationToken);
        }

        return new NotionResults<NotionPage>(
            result.GetArrayItems("results").Where(r => r.GetStringOrNull("object") == "page").Select(NotionJson.ReadPage).ToArray(),
            NextCursor(result));
    }

    public async Task<NotionPage> GetPageAsync(string pageId, CancellationToken cancellationToken = default)
    {
        EnsureConfigured();
        var page = await SendAsync(HttpMethod.Get, $"/v1/pages/{NotionJson.NormalizeId(pageId)}", null, "notion.pages.retrieve", cancellationToken);
        return NotionJson.ReadPage(page);
    }

    public async Task<JsonObject> GetPropertyValuesAsync(string pageId, IEnumerable<string> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        EnsureConfigured();
        var page = await SendAsync(HttpMethod.Get, $"/v1/pages/{NotionJson.NormalizeId(pageId)}", null, "notion.pages.retrieve", cancellationToken);
        var values = new JsonObject();
        if (page.GetObjectOrNull("properties") is { } properties)
        {
            foreach (var name in names.Distinct(StringComparer.Ordinal))
            {
                if (properties.TryGetProperty(name, out var property) && NotionJson.ToWriteValue(property) is { } value)
                {
                    values[name] = value;
                }
            }
        }

        return values;
    }

    public async Task<string> GetPageTextAsync(string pageId, int maxBlocks = 200, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBlocks, 1);
        EnsureConfigured();
        var id = NotionJson.NormalizeId(pageId);
        var text = new StringBuilder();
        var read = 0;
        string? cursor = null;
        do
        {
            var path = $"/v1/blocks/{id}/children?page_size={Math.Min(MaxPageSize, maxBlocks - read)}"
                + (cursor is null ? string.Empty : "&start_cursor=" + Uri.EscapeDataString(cursor));
            var result = await SendAsync(HttpMethod.Get, path, null, "notion.blocks.children.list", cancellationToken);
            foreach (var block in result.GetArrayItems("results"))
            {
                NotionJson.AppendBlockText(block, text);
                read++;
            }

            cursor = NextCursor(result);
        }
        while (cursor is not null && read < maxBlocks);

        if (cursor is not null)
        {
            text.Append("[… more blocks not read]\n");
        }

        return text.ToString();
    }

    public async Task<NotionPage> CreatePageAsync(NotionPageDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(draft);
        ArgumentNullException.ThrowIfNull(draft.Title);
        if (new[] { draft.ParentDatabaseId, draft.ParentDataSourceId, draft.ParentPageId }.Count(p => p is not null) != 1)
        {
            throw new ArgumentException("A Notion page needs exactly one parent: a database, a data source or a page.", nameof(draft));
        }

        if (draft.ParentDataSourceId is not null && !_options.UsesDataSources)
        {
            throw new ArgumentException($"A data source parent needs Notion-Version 2025-09-03 or later (configured: {_options.Version}); give the database id instead.", nameof(draft));
        }

        EnsureConfigured();
        JsonObject parent;
        JsonObject properties;
        if (draft.ParentPageId is { } parentPageId)
        {
            if (draft.Properties is { Count: > 0 })
            {
                throw new ArgumentException("A page under a page has only a title; properties need a database parent.", nameof(draft));
            }

            parent = new JsonObject { ["page_id"] = NotionJson.NormalizeId(parentPageId) };
            properties = new JsonObject { ["title"] = NotionJson.ToPropertyValue("title", "title", draft.Title) };
        }
        else
        {
            var databaseId = NotionJson.NormalizeId(draft.ParentDatabaseId ?? draft.ParentDataSourceId!);
            JsonElement schema;
            if (_options.UsesDataSources)
            {
                var dataSourceId = draft.ParentDataSourceId is { } given ? NotionJson.NormalizeId(given) : await ResolveDataSourceAsync(databaseId, cancellationToken);
                parent = new JsonObject { ["type"] = "data_source_id", ["data_source_id"] = dataSourceId };
                schema = await SendAsync(HttpMethod.Get, $"/v1/data_sources/{dataSourceId}", null, "notion.data_sources.retrieve", cancellationToken);
            }
            else
            {
                parent = new JsonObject { ["database_id"] = databaseId };
                schema = await SendAsync(HttpMethod.Get, $"/v1/databases/{databaseId}", null, "notion.databases.retrieve", cancellationToken);
            }

            var types = PropertyTypes(schema);
            var titleName = types.FirstOrDefault(t => t.Value == "title").Key
                ?? throw new IntegrationException(ServiceName, $"The Notion database {databaseId} has no title property.", errorCode: "no_title_property");
            properties = ConvertProperties(types, draft.Properties, draft.RawProperties);
            properties[titleName] ??= NotionJson.ToPropertyValue(titleName, "title", draft.Title);
        }

        var body = new JsonObject { ["parent"] = parent, ["properties"] = properties };
        if (!string.IsNullOrWhiteSpace(draft.Content))
        {
            var blocks = NotionJson.ToBlocks(draft.Content);
            body["children"] = new JsonArray(blocks.Take(NotionJson.MaxBlocksPerRequest).Select(b => (JsonNode)b).ToArray());
            if (blocks.Count > NotionJson.MaxBlocksPerRequest)
            {
                throw new ArgumentException($"The content has {blocks.Count} blocks; create the page, then append the rest (at most {NotionJson.MaxBlocksPerRequest} per call).", nameof(draft));
            }
        }

        var page = NotionJson.ReadPage(await SendAsync(HttpMethod.Post, "/v1/pages", body, "notion.pages.create", cancellationToken));
        _logger.NotionPageChanged(page.Id, "created");
        return page;
    }

    public async Task<NotionPage> UpdatePageAsync(string pageId, NotionPageUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        EnsureConfigured();
        var id = NotionJson.NormalizeId(pageId);
        var body = new JsonObject();
        if (update.Properties is { Count: > 0 } || update.RawProperties is { Count: > 0 })
        {
            Dictionary<string, string> types = [];
            if (update.Properties is { Count: > 0 })
            {
                // The page itself carries each property's type.
                types = PropertyTypes(await SendAsync(HttpMethod.Get, $"/v1/pages/{id}", null, "notion.pages.retrieve", cancellationToken));
            }

            body["properties"] = ConvertProperties(types, update.Properties, update.RawProperties);
        }

        if (update.Archived is { } archived)
        {
            // "in_trash" is accepted by every version since 2024; "archived" is gone from 2026-03-11.
            body["in_trash"] = archived;
        }

        if (body.Count == 0)
        {
            throw new ArgumentException("The update changes nothing.", nameof(update));
        }

        var page = NotionJson.ReadPage(await SendAsync(HttpMethod.Patch, $"/v1/pages/{id}", body, "notion.pages.update", cancellationToken));
        _logger.NotionPageChanged(page.Id, "updated");
        return page;
    }

    public async Task<int> AppendTextAsync(string blockId, string text, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        EnsureConfigured();
        return await AppendAsync(blockId, NotionJson.ToBlocks(text), cancellationToken);
    }

    public async Task<int> AppendBlocksAsync(string blockId, IReadOnlyList<NotionBlockDraft> blocks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        if (blocks.Count == 0)
        {
            throw new ArgumentException("There are no blocks to append.", nameof(blocks));
        }

        foreach (var block in blocks)
        {
            if (!NotionBlockDraft.Types.Contains(block.Type))
            {
                throw new ArgumentException($"'{block.Type}' is not a block type the hub writes; use one of: {string.Join(", ", NotionBlockDraft.Types)}.", nameof(blocks));
            }
        }

        EnsureConfigured();
        return await AppendAsync(blockId, [.. blocks.Select(b => NotionJson.Block(b.Type, b.Text, b.Checked))], cancellationToken);
    }

    private async Task<int> AppendAsync(string blockId, List<JsonObject> blocks, CancellationToken cancellationToken)
    {
        var id = NotionJson.NormalizeId(blockId);
        var appended = 0;
        foreach (var batch in blocks.Chunk(NotionJson.MaxBlocksPerRequest))
        {
            var body = new JsonObject { ["children"] = new JsonArray(batch.Select(b => (JsonNode)b).ToArray()) };
            var result = await SendAsync(HttpMethod.Patch, $"/v1/blocks/{id}/children", body, "notion.blocks.children.append", cancellationToken);
            appended += result.GetArrayItems("results").Count();
        }

        _logger.NotionPageChanged(id, $"got {appended} blocks appended");
        return appended;
    }

    private async Task<string> ResolveDataSourceAsync(string databaseId, CancellationToken cancellationToken)
    {
        var database = await SendAsync(HttpMethod.Get, $"/v1/databases/{databaseId}", null, "notion.databases.retrieve", cancellationToken);
        return database.GetArrayItems("data_sources").Select(d => d.GetStringOrNull("id")).FirstOrDefault(id => id is not null)
            ?? throw new IntegrationException(ServiceName, $"The Notion database {databaseId} has no data source.", errorCode: "no_data_source");
    }

    private static Dictionary<string, string> PropertyTypes(JsonElement schemaOrPage)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        if (schemaOrPage.GetObjectOrNull("properties") is { } properties)
        {
            foreach (var property in properties.EnumerateObject())
            {
                if (property.Value.GetStringOrNull("type") is { } type)
                {
                    types[property.Name] = type;
                }
            }
        }

        return types;
    }

    private static JsonObject ConvertProperties(Dictionary<string, string> types, IReadOnlyDictionary<string, string>? text, JsonObject? raw)
    {
        var properties = new JsonObject();
        foreach (var (name, value) in text ?? new Dictionary<string, string>())
        {
            if (!types.TryGetValue(name, out var type))
            {
                throw new ArgumentException(
                    $"There is no property '{name}'. Properties: {string.Join(", ", types.Keys.Order(StringComparer.Ordinal))}.", nameof(text));
            }

            properties[name] = NotionJson.ToPropertyValue(name, type, value ?? string.Empty);
        }

        foreach (var (name, value) in raw ?? [])
        {
            properties[name] = value?.DeepClone();
        }

        return properties;
    }

    private static string? NextCursor(JsonElement list) =>
        list.GetBoolean("has_more") ? list.GetStringOrNull("next_cursor") : null;

    private Task<JsonElement> SendAsync(HttpMethod method, string path, JsonNode? body, string operation, CancellationToken cancellationToken)
    {
        var request = ServiceHttp.Request(method, _options.BaseUrl.TrimEnd('/') + path, _options.ApiKey, body);
        request.Headers.Add("Notion-Version", _options.Version);
        return _http.SendAsync(request, operation, cancellationToken);
    }

    private void EnsureConfigured()
    {
        if (!_options.IsConfigured)
        {
            throw new ToolNotConfiguredException(ServiceName, "Notion is not configured: set NOTION_API_KEY");
        }
    }
}
