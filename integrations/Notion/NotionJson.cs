using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CompanyHub.Integrations.Http;

namespace CompanyHub.Integrations.Notion;

/// <summary>Conversions between Notion's JSON and the text the tools work with.</summary>
internal static partial class NotionJson
{
    /// <summary>Notion's limit for one text object's content.</summary>
    public const int MaxTextContent = 2000;

    /// <summary>Notion's limit of blocks per append request.</summary>
    public const int MaxBlocksPerRequest = 100;

    /// <summary>Accepts an id with or without dashes, or a Notion URL ending in one; answers the dashed form.</summary>
    public static string NormalizeId(string idOrUrl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrUrl);
        // A database URL ends in "?v=<view id>": the id is the last one before the query.
        var path = idOrUrl.Split('?', 2)[0];
        var matches = HexIdPattern().Matches(path.Replace("-", string.Empty, StringComparison.Ordinal));
        if (matches.Count == 0)
        {
            throw new ArgumentException($"'{idOrUrl}' is not a Notion id (32 hex digits) or a URL ending in one.", nameof(idOrUrl));
        }

        var hex = matches[^1].Value.ToLowerInvariant();
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }

    public static string PlainText(JsonElement richText) =>
        richText.ValueKind != JsonValueKind.Array
            ? string.Empty
            : string.Concat(richText.EnumerateArray().Select(t => t.GetStringOrNull("plain_text") ?? t.GetObjectOrNull("text")?.GetStringOrNull("content") ?? string.Empty));

    public static NotionPage ReadPage(JsonElement page)
    {
        var properties = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? title = null;
        if (page.GetObjectOrNull("properties") is { } props)
        {
            foreach (var property in props.EnumerateObject())
            {
                var value = Simplify(property.Value);
                properties[property.Name] = value;
                if (property.Value.GetStringOrNull("type") == "title")
                {
                    title = value;
                }
            }
        }

        var parent = page.GetObjectOrNull("parent");
        var parentType = parent?.GetStringOrNull("type");
        return new NotionPage(
            page.GetStringOrNull("id") ?? string.Empty,
            title,
            page.GetStringOrNull("url"),
            parentType,
            parentType is null ? null : parent!.Value.GetStringOrNull(parentType),
            page.GetDateTimeOffsetOrNull("created_time"),
            page.GetDateTimeOffsetOrNull("last_edited_time"),
            page.GetBoolean("archived") || page.GetBoolean("in_trash"),
            properties);
    }

    /// <summary>
    /// A property value as read, in the shape Notion takes when writing it (<c>{"select": {"name": "Done"}}</c>), or
    /// null for a type the API cannot write. Rich text keeps its text, links and annotations; a mention becomes its text.
    /// </summary>
    public static JsonObject? ToWriteValue(JsonElement property)
    {
        var type = property.GetStringOrNull("type");
        if (type is null || !property.TryGetProperty(type, out var value))
        {
            return null;
        }

        JsonNode? written = type switch
        {
            "title" or "rich_text" => new JsonArray(value.ValueKind != JsonValueKind.Array ? [] : value.EnumerateArray().Select(t => (JsonNode)new JsonObject
            {
                ["type"] = "text",
                ["text"] = new JsonObject
                {
                    ["content"] = t.GetStringOrNull("plain_text") ?? t.GetObjectOrNull("text")?.GetStringOrNull("content") ?? string.Empty,
                    ["link"] = t.GetStringOrNull("href") is { } href ? new JsonObject { ["url"] = href } : null,
                },
                ["annotations"] = t.TryGetProperty("annotations", out var a) && a.ValueKind == JsonValueKind.Object ? JsonNode.Parse(a.GetRawText()) : null,
            }).ToArray()),
            "select" or "status" => value.ValueKind == JsonValueKind.Object ? new JsonObject { ["name"] = value.GetStringOrNull("name") } : null,
            "multi_select" => new JsonArray(value.ValueKind != JsonValueKind.Array ? [] : value.EnumerateArray().Select(o => (JsonNode)new JsonObject { ["name"] = o.GetStringOrNull("name") }).ToArray()),
            "people" or "relation" => new JsonArray(value.ValueKind != JsonValueKind.Array ? [] : value.EnumerateArray().Select(o => (JsonNode)new JsonObject { ["id"] = o.GetStringOrNull("id") }).ToArray()),
            "number" or "checkbox" or "date" or "url" or "email" or "phone_number" or "files" => JsonNode.Parse(value.GetRawText()),
            _ => null,
        };
        if (written is null && type is not ("select" or "status" or "number" or "date" or "url" or "email" or "phone_number"))
        {
            return null;
        }

        return new JsonObject { [type] = written };
    }

    public static NotionSearchItem ReadSearchItem(JsonElement item)
    {
        var kind = item.GetStringOrNull("object") ?? "page";
        var title = kind == "page"
            ? ReadPage(item).Title
            : item.TryGetProperty("title", out var t) ? PlainText(t) : null;
        return new NotionSearchItem(item.GetStringOrNull("id") ?? string.Empty, kind, title, item.GetStringOrNull("url"), item.GetDateTimeOffsetOrNull("last_edited_time"));
    }

    /// <summary>One property value as text; null when empty.</summary>
    public static string? Simplify(JsonElement property)
    {
        var type = property.GetStringOrNull("type");
        if (type is null || !property.TryGetProperty(type, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var text = type switch
        {
            "title" or "rich_text" => PlainText(value),
            "select" or "status" => value.GetStringOrNull("name"),
            "multi_select" => string.Join(", ", value.EnumerateArray().Select(o => o.GetStringOrNull("name"))),
            "date" => FormatDate(value),
            "people" => string.Join(", ", value.EnumerateArray().Select(p => p.GetStringOrNull("name") ?? p.GetObjectOrNull("person")?.GetStringOrNull("email") ?? p.GetStringOrNull("id"))),
            "relation" => string.Join(", ", value.EnumerateArray().Select(r => r.GetStringOrNull("id"))),
            "files" => string.Join(", ", value.EnumerateArray().Select(f => f.GetStringOrNull("name"))),
            "formula" => value.GetStringOrNull("type") is { } ft && value.TryGetProperty(ft, out var fv)
                ? (ft == "date" ? FormatDate(fv) : fv.AsText())
                : null,
            "unique_id" => value.GetStringOrNull("prefix") is { } prefix ? $"{prefix}-{value.GetStringOrNull("number")}" : value.GetStringOrNull("number"),
            "created_by" or "last_edited_by" => value.GetStringOrNull("name") ?? value.GetStringOrNull("id"),
            "rollup" => value.GetStringOrNull("type") is { } rt && value.TryGetProperty(rt, out var rv)
                ? rv.ValueKind == JsonValueKind.Array ? $"{rv.GetArrayLength()} items" : rv.AsText()
                : null,
            _ => value.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? value.GetRawText() : value.AsText(),
        };
        return string.IsNullOrEmpty(text) ? null : text;
    }

    private static string? FormatDate(JsonElement date)
    {
        if (date.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var start = date.GetStringOrNull("start");
        var end = date.GetStringOrNull("end");
        return end is null ? start : $"{start}/{end}";
    }

    /// <summary>Converts a text value to Notion's JSON for a property of the given type.</summary>
    public static JsonObject ToPropertyValue(string name, string type, string text) => type switch
    {
        "title" => new JsonObject { ["title"] = RichText(text) },
        "rich_text" => new JsonObject { ["rich_text"] = RichText(text) },
        "number" => new JsonObject
        {
            ["number"] = text.Length == 0 ? null
                : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number
                : throw new ArgumentException($"Property '{name}' is a number; '{text}' is not one.", nameof(text)),
        },
        "select" => new JsonObject { ["select"] = text.Length == 0 ? null : new JsonObject { ["name"] = text } },
        "status" => new JsonObject { ["status"] = new JsonObject { ["name"] = text } },
        "multi_select" => new JsonObject
        {
            ["multi_select"] = new JsonArray(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(n => (JsonNode)new JsonObject { ["name"] = n }).ToArray()),
        },
        "checkbox" => new JsonObject
        {
            ["checkbox"] = text.Trim().ToLowerInvariant() switch
            {
                "true" or "yes" or "1" or "x" or "checked" => true,
                "false" or "no" or "0" or "" or "unchecked" => false,
                _ => throw new ArgumentException($"Property '{name}' is a checkbox; '{text}' is not true or false.", nameof(text)),
            },
        },
        "date" => new JsonObject { ["date"] = text.Length == 0 ? null : DateValue(text) },
        "url" or "email" or "phone_number" => new JsonObject { [type] = text.Length == 0 ? null : text },
        _ => throw new ArgumentException(
            $"Property '{name}' has type {type}, which cannot be set from text; pass Notion's JSON in RawProperties.", nameof(type)),
    };

    private static JsonObject DateValue(string text)
    {
        var parts = text.Split('/', 2, StringSplitOptions.TrimEntries);
        var date = new JsonObject { ["start"] = parts[0] };
        if (parts.Length == 2 && parts[1].Length > 0)
        {
            date["end"] = parts[1];
        }

        return date;
    }

    public static JsonArray RichText(string text)
    {
        var array = new JsonArray();
        var start = 0;
        while (start < text.Length)
        {
            var length = Math.Min(MaxTextContent, text.Length - start);
            if (length == MaxTextContent && char.IsHighSurrogate(text[start + length - 1]))
            {
                length--; // keep a surrogate pair in one piece
            }

            array.Add(new JsonObject { ["type"] = "text", ["text"] = new JsonObject { ["content"] = text.Substring(start, length) } });
            start += length;
        }

        return array;
    }

    /// <summary>Light markdown to blocks: <c>#</c>..<c>###</c> headings, <c>-</c>/<c>*</c> bullets, <c>1.</c> numbers, <c>[ ]</c>/<c>[x]</c> to-dos, <c>&gt;</c> quotes, <c>---</c> dividers, paragraphs.</summary>
    public static List<JsonObject> ToBlocks(string text)
    {
        var blocks = new List<JsonObject>();
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.Length == 0)
            {
                continue;
            }

            if (line == "---")
            {
                blocks.Add(Block("divider", ""));
                continue;
            }

            var (type, content, extra) = line switch
            {
                _ when line.StartsWith("### ", StringComparison.Ordinal) => ("heading_3", line[4..], null),
                _ when line.StartsWith("## ", StringComparison.Ordinal) => ("heading_2", line[3..], null),
                _ when line.StartsWith("# ", StringComparison.Ordinal) => ("heading_1", line[2..], null),
                _ when line.StartsWith("- [ ] ", StringComparison.Ordinal) || line.StartsWith("[ ] ", StringComparison.Ordinal) => ("to_do", line[(line.IndexOf(']', StringComparison.Ordinal) + 2)..], (bool?)false),
                _ when line.StartsWith("- [x] ", StringComparison.OrdinalIgnoreCase) || line.StartsWith("[x] ", StringComparison.OrdinalIgnoreCase) => ("to_do", line[(line.IndexOf(']', StringComparison.Ordinal) + 2)..], true),
                _ when line.StartsWith("- ", StringComparison.Ordinal) || line.StartsWith("* ", StringComparison.Ordinal) => ("bulleted_list_item", line[2..], null),
                _ when NumberedPattern().Match(line) is { Success: true } m => ("numbered_list_item", line[m.Length..], null),
                _ when line.StartsWith("> ", StringComparison.Ordinal) => ("quote", line[2..], null),
                _ => ("paragraph", line, null),
            };
            blocks.Add(Block(type, content, extra));
        }

        return blocks;
    }

    /// <summary>One block of a type <see cref="NotionBlockDraft.Types"/> names, with its text (a divider has none) and a to-do's check.</summary>
    public static JsonObject Block(string type, string content, bool? isChecked = null)
    {
        if (type == "divider")
        {
            return new JsonObject { ["object"] = "block", ["type"] = "divider", ["divider"] = new JsonObject() };
        }

        var body = new JsonObject { ["rich_text"] = RichText(content) };
        if (type == "to_do")
        {
            body["checked"] = isChecked ?? false;
        }

        return new JsonObject { ["object"] = "block", ["type"] = type, [type] = body };
    }

    /// <summary>Blocks back to light markdown (the inverse of <see cref="ToBlocks"/> for the types it writes).</summary>
    public static void AppendBlockText(JsonElement block, StringBuilder text)
    {
        var type = block.GetStringOrNull("type");
        if (type is null)
        {
            return;
        }

        var body = block.GetObjectOrNull(type);
        var content = body is { } b && b.TryGetProperty("rich_text", out var rt) ? PlainText(rt) : string.Empty;
        var line = type switch
        {
            "heading_1" => "# " + content,
            "heading_2" => "## " + content,
            "heading_3" => "### " + content,
            "bulleted_list_item" => "- " + content,
            "numbered_list_item" => "1. " + content,
            "to_do" => (body?.GetBoolean("checked") == true ? "[x] " : "[ ] ") + content,
            "quote" => "> " + content,
            "callout" => "> " + content,
            "code" => "```\n" + content + "\n```",
            "divider" => "---",
            "child_page" => "[page] " + body?.GetStringOrNull("title"),
            "child_database" => "[database] " + body?.GetStringOrNull("title"),
            "bookmark" or "embed" or "link_preview" => body?.GetStringOrNull("url"),
            _ => content.Length > 0 ? content : null,
        };
        if (line is not null)
        {
            text.Append(line).Append('\n');
        }
    }

    [GeneratedRegex("[0-9a-fA-F]{32}")]
    private static partial Regex HexIdPattern();

    [GeneratedRegex(@"^\d+[.)] ")]
    private static partial Regex NumberedPattern();
}
