using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace CompanyHub.Fakes.Notion;

public sealed partial class FakeNotion
{
    private const int MaxPageSize = 100;

    private IResult Search(HttpContext context, JsonObject body)
    {
        var dataSources = UsesDataSources(context);
        var databaseKind = dataSources ? "data_source" : "database";
        string? only = null;
        if (body["filter"] is JsonObject filter)
        {
            only = filter["value"]?.GetValue<string>();
            if (filter["property"]?.GetValue<string>() != "object" || (only != "page" && only != databaseKind))
            {
                throw NotionFakeException.Validation(
                    $"body.filter.value should be `\"page\"` or `\"{databaseKind}\"`, instead was `\"{only}\"`.");
            }
        }

        var query = body["query"]?.GetValue<string>() ?? string.Empty;
        var items = new List<(DateTimeOffset Edited, string Id, Func<JsonObject> Json)>();
        if (only is null or "page")
        {
            items.AddRange(_pages.Where(p => !p.InTrash && p.Title.Contains(query, StringComparison.OrdinalIgnoreCase))
                .Select(p => (p.LastEdited, p.Id, (Func<JsonObject>)(() => PageJson(p, Version(context))))));
        }

        if (only is null || only == databaseKind)
        {
            items.AddRange(_databases.Where(d => d.Title.Contains(query, StringComparison.OrdinalIgnoreCase))
                .Select(d => (d.Created, dataSources ? d.DataSourceId : d.Id, (Func<JsonObject>)(() => dataSources ? DataSourceJson(d) : DatabaseJson(d, Version(context))))));
        }

        var ascending = body["sort"]?["direction"]?.GetValue<string>() == "ascending";
        var ordered = (ascending ? items.OrderBy(i => i.Edited) : items.OrderByDescending(i => i.Edited)).ToList();
        return Json(Page(ordered, i => i.Id, i => i.Json(), body));
    }

    private IResult RetrieveDatabase(HttpContext context, string id) =>
        Json(DatabaseJson(FindDatabase(id, dataSource: false), Version(context)));

    private IResult RetrieveDataSource(HttpContext context, string id)
    {
        RequireDataSourceVersion(context);
        return Json(DataSourceJson(FindDatabase(id, dataSource: true)));
    }

    private IResult QueryDatabase(HttpContext context, string id, JsonObject body, bool dataSource)
    {
        if (dataSource)
        {
            RequireDataSourceVersion(context);
        }
        else if (UsesDataSources(context))
        {
            // From 2025-09-03 a database can hold several data sources; its rows are queried per data source.
            throw new NotionFakeException(400, "invalid_request_url", "Invalid request URL: query the database's data source (/v1/data_sources/{id}/query) with this Notion-Version.");
        }

        var database = FindDatabase(id, dataSource);
        NotionFilter.Validate(body["filter"], database.Schema);
        var rows = _pages.Where(p => !p.InTrash && p.ParentType == "database_id" && p.ParentId == database.Id)
            .Where(p => NotionFilter.Matches(body["filter"], p, database.Schema));
        var sorted = NotionFilter.Sort(rows, body["sorts"], database.Schema).ToList();
        return Json(Page(sorted, p => p.Id, p => PageJson(p, Version(context)), body));
    }

    private IResult RetrievePage(HttpContext context, string id) => Json(PageJson(FindPage(id), Version(context)));

    private IResult CreatePage(HttpContext context, JsonObject body)
    {
        var parent = body["parent"] as JsonObject ?? throw NotionFakeException.Validation("body.parent should be defined, instead was `undefined`.");
        var properties = body["properties"] as JsonObject ?? throw NotionFakeException.Validation("body.properties should be defined, instead was `undefined`.");
        string parentType;
        string? parentId;
        if (parent["data_source_id"]?.GetValue<string>() is { } dataSourceId)
        {
            if (!UsesDataSources(context))
            {
                throw NotionFakeException.Validation("body.parent.database_id should be defined, instead was `undefined`.");
            }

            (parentType, parentId) = ("database_id", FindDatabase(dataSourceId, dataSource: true).Id);
        }
        else if (parent["database_id"]?.GetValue<string>() is { } databaseId)
        {
            (parentType, parentId) = ("database_id", FindDatabase(databaseId, dataSource: false).Id);
        }
        else if (parent["page_id"]?.GetValue<string>() is { } pageId)
        {
            (parentType, parentId) = ("page_id", FindPage(pageId).Id);
        }
        else
        {
            throw NotionFakeException.Validation("body.parent should have a database_id, data_source_id or page_id.");
        }

        var children = body["children"] as JsonArray ?? [];
        var page = CreatePageLocked(parentType, parentId, properties, children);
        return Json(PageJson(page, Version(context)));
    }

    private NotionPageState CreatePageLocked(string parentType, string? parentId, JsonObject written, JsonArray children)
    {
        if (children.Count > MaxPageSize)
        {
            throw NotionFakeException.Validation($"body.children.length should be ≤ `{MaxPageSize}`, instead was `{children.Count}`.");
        }

        var now = DateTimeOffset.UtcNow;
        JsonObject stored = [];
        if (parentType == "database_id")
        {
            var schema = _databases.First(d => d.Id == parentId).Schema;
            foreach (var (name, property) in schema)
            {
                stored[name] = NotionValues.EmptyValue((JsonObject)property!);
            }

            foreach (var (name, value) in written)
            {
                var schemaProperty = schema[name] as JsonObject ?? throw NotionFakeException.Validation($"{name} is not a property that exists.");
                stored[name] = NotionValues.PropertyValue(name, schemaProperty, value);
            }
        }
        else
        {
            var schemaProperty = new JsonObject { ["id"] = "title", ["type"] = "title" };
            foreach (var (name, value) in written)
            {
                if (name != "title" && value?["type"]?.GetValue<string>() != "title" && value?["title"] is null)
                {
                    throw NotionFakeException.Validation($"Invalid property for a page whose parent is a page: {name}. Only title can be set.");
                }

                stored["title"] = NotionValues.PropertyValue("title", schemaProperty, value);
            }

            stored["title"] ??= NotionValues.EmptyValue(schemaProperty);
        }

        var page = new NotionPageState
        {
            Id = Guid.NewGuid().ToString(),
            ParentType = parentType,
            ParentId = parentId,
            Properties = stored,
            Created = now,
            LastEdited = now,
        };
        var index = 0;
        foreach (var child in children)
        {
            page.Blocks.Add(NotionValues.Block(child, page.Id, now, index++));
        }

        _pages.Add(page);
        return page;
    }

    private IResult UpdatePage(HttpContext context, string id, JsonObject body)
    {
        var page = FindPage(id);
        var version = Version(context);
        if (body.ContainsKey("archived") && string.CompareOrdinal(version, NoArchivedVersion) >= 0)
        {
            throw NotionFakeException.Validation("body.archived is not supported from Notion-Version 2026-03-11; use in_trash.");
        }

        var trash = body["in_trash"] ?? body["archived"];
        if (body["properties"] is JsonObject properties && properties.Count > 0)
        {
            if (page.InTrash && trash?.GetValueKind() != JsonValueKind.False)
            {
                throw NotionFakeException.Validation("Can't edit block that is archived. You must unarchive the block before editing.");
            }

            var schema = page.ParentType == "database_id"
                ? _databases.First(d => d.Id == page.ParentId).Schema
                : new JsonObject { ["title"] = new JsonObject { ["id"] = "title", ["type"] = "title" } };
            var updated = (JsonObject)page.Properties.DeepClone();
            foreach (var (name, value) in properties)
            {
                var schemaProperty = schema[name] as JsonObject ?? throw NotionFakeException.Validation($"{name} is not a property that exists.");
                updated[name] = NotionValues.PropertyValue(name, schemaProperty, value);
            }

            page.Properties = updated;
        }

        if (trash is not null)
        {
            page.InTrash = trash.GetValueKind() == JsonValueKind.True;
        }

        page.LastEdited = DateTimeOffset.UtcNow;
        return Json(PageJson(page, version));
    }

    private IResult ListBlocks(HttpContext context, string id)
    {
        var query = context.Request.Query;
        var body = new JsonObject();
        if (query["page_size"].ToString() is { Length: > 0 } size)
        {
            body["page_size"] = int.Parse(size, CultureInfo.InvariantCulture);
        }

        if (query["start_cursor"].ToString() is { Length: > 0 } cursor)
        {
            body["start_cursor"] = cursor;
        }

        var blocks = FindBlockParent(id);
        return Json(Page(blocks, b => b["id"]!.GetValue<string>(), b => (JsonObject)b.DeepClone(), body, "block"));
    }

    private IResult AppendBlocks(HttpContext context, string id, JsonObject body)
    {
        var children = body["children"] as JsonArray ?? throw NotionFakeException.Validation("body.children should be defined, instead was `undefined`.");
        if (children.Count > MaxPageSize)
        {
            throw NotionFakeException.Validation($"body.children.length should be ≤ `{MaxPageSize}`, instead was `{children.Count}`.");
        }

        var page = FindPage(id);
        if (page.InTrash)
        {
            throw NotionFakeException.Validation("Can't edit block that is archived. You must unarchive the block before editing.");
        }

        var now = DateTimeOffset.UtcNow;
        var added = children.Select((child, index) => NotionValues.Block(child, page.Id, now, index)).ToList();
        page.Blocks.AddRange(added);
        page.LastEdited = now;
        return Json(Page(added, b => b["id"]!.GetValue<string>(), b => (JsonObject)b.DeepClone(), new JsonObject { ["page_size"] = MaxPageSize }, "block"));
    }

    private static void RequireDataSourceVersion(HttpContext context)
    {
        if (!UsesDataSources(context))
        {
            throw new NotionFakeException(400, "invalid_request_url", $"Invalid request URL: data sources need Notion-Version {DataSourcesVersion} or newer.");
        }
    }

    private NotionDatabaseState FindDatabase(string id, bool dataSource)
    {
        var normalized = NormalizeId(id);
        return _databases.FirstOrDefault(d => (dataSource ? d.DataSourceId : d.Id) == normalized)
            ?? throw NotionFakeException.NotFound(dataSource ? "data source" : "database", id);
    }

    private NotionPageState FindPage(string id)
    {
        var normalized = NormalizeId(id);
        return _pages.FirstOrDefault(p => p.Id == normalized) ?? throw NotionFakeException.NotFound("page", id);
    }

    private List<JsonObject> FindBlockParent(string id)
    {
        var normalized = NormalizeId(id);
        if (_pages.FirstOrDefault(p => p.Id == normalized) is { } page)
        {
            return page.Blocks;
        }

        // A block of the fake has no children of its own.
        return _pages.Any(p => p.Blocks.Any(b => b["id"]!.GetValue<string>() == normalized)) ? [] : throw NotionFakeException.NotFound("block", id);
    }

    /// <summary>A Notion list: <c>page_size</c> (default and max 100), <c>start_cursor</c> = the id of the first item to return.</summary>
    private static JsonObject Page<T>(IReadOnlyList<T> items, Func<T, string> id, Func<T, JsonObject> json, JsonObject body, string type = "page_or_database")
    {
        var size = body["page_size"]?.GetValue<int>() ?? MaxPageSize;
        if (size is < 1 or > MaxPageSize)
        {
            throw NotionFakeException.Validation($"body.page_size should be ≤ `{MaxPageSize}` and ≥ `1`, instead was `{size}`.");
        }

        var start = 0;
        if (body["start_cursor"]?.GetValue<string>() is { } cursor)
        {
            start = items.Select(id).ToList().IndexOf(cursor);
            if (start < 0)
            {
                throw NotionFakeException.Validation($"start_cursor provided is invalid: {cursor}");
            }
        }

        var page = items.Skip(start).Take(size).ToList();
        var hasMore = start + size < items.Count;
        return new JsonObject
        {
            ["object"] = "list",
            ["results"] = new JsonArray(page.Select(i => (JsonNode)json(i)).ToArray()),
            ["next_cursor"] = hasMore ? id(items[start + size]) : null,
            ["has_more"] = hasMore,
            ["type"] = type,
            [type] = new JsonObject(),
        };
    }

    private JsonObject PageJson(NotionPageState page, string version)
    {
        JsonObject parent = page.ParentType switch
        {
            "database_id" when string.CompareOrdinal(version, DataSourcesVersion) >= 0 => new JsonObject
            {
                ["type"] = "data_source_id",
                ["data_source_id"] = _databases.First(d => d.Id == page.ParentId).DataSourceId,
                ["database_id"] = page.ParentId,
            },
            "database_id" => new JsonObject { ["type"] = "database_id", ["database_id"] = page.ParentId },
            "page_id" => new JsonObject { ["type"] = "page_id", ["page_id"] = page.ParentId },
            _ => new JsonObject { ["type"] = "workspace", ["workspace"] = true },
        };
        var json = new JsonObject
        {
            ["object"] = "page",
            ["id"] = page.Id,
            ["created_time"] = NotionValues.Timestamp(page.Created),
            ["last_edited_time"] = NotionValues.Timestamp(page.LastEdited),
            ["created_by"] = new JsonObject { ["object"] = "user", ["id"] = BotId },
            ["last_edited_by"] = new JsonObject { ["object"] = "user", ["id"] = BotId },
            ["cover"] = null,
            ["icon"] = null,
            ["parent"] = parent,
        };
        if (string.CompareOrdinal(version, NoArchivedVersion) < 0)
        {
            json["archived"] = page.InTrash;
        }

        json["in_trash"] = page.InTrash;
        json["properties"] = page.Properties.DeepClone();
        json["url"] = PageUrl(page.Title, page.Id);
        json["public_url"] = null;
        return json;
    }

    private static JsonObject DatabaseJson(NotionDatabaseState database, string version)
    {
        var json = new JsonObject
        {
            ["object"] = "database",
            ["id"] = database.Id,
            ["created_time"] = NotionValues.Timestamp(database.Created),
            ["last_edited_time"] = NotionValues.Timestamp(database.Created),
            ["title"] = NotionValues.RichText(TextArray(database.Title), "title"),
            ["description"] = new JsonArray(),
            ["parent"] = new JsonObject { ["type"] = "workspace", ["workspace"] = true },
            ["is_inline"] = false,
            ["in_trash"] = false,
            ["url"] = PageUrl(database.Title, database.Id),
        };
        if (string.CompareOrdinal(version, DataSourcesVersion) >= 0)
        {
            json["data_sources"] = new JsonArray(new JsonObject { ["id"] = database.DataSourceId, ["name"] = database.Title });
        }
        else
        {
            json["archived"] = false;
            json["properties"] = database.Schema.DeepClone();
        }

        return json;
    }

    private static JsonObject DataSourceJson(NotionDatabaseState database) => new()
    {
        ["object"] = "data_source",
        ["id"] = database.DataSourceId,
        ["created_time"] = NotionValues.Timestamp(database.Created),
        ["last_edited_time"] = NotionValues.Timestamp(database.Created),
        ["title"] = NotionValues.RichText(TextArray(database.Title), "title"),
        ["description"] = new JsonArray(),
        ["properties"] = database.Schema.DeepClone(),
        ["parent"] = new JsonObject { ["type"] = "database_id", ["database_id"] = database.Id },
        ["database_parent"] = new JsonObject { ["type"] = "workspace", ["workspace"] = true },
        ["in_trash"] = false,
    };

    private static string PageUrl(string title, string id)
    {
        var slug = string.Join('-', title.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => new string(w.Where(char.IsLetterOrDigit).ToArray())).Where(w => w.Length > 0));
        var hex = id.Replace("-", string.Empty, StringComparison.Ordinal);
        return "https://www.notion.so/" + (slug.Length > 0 ? slug + "-" : string.Empty) + hex;
    }
}
