using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CompanyHub.Fakes.Notion;

/// <summary>Turns what a client writes into what Notion stores and answers, checking it as Notion does.</summary>
internal static class NotionValues
{
    private static readonly string[] Colors = ["default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red"];

    private static readonly HashSet<string> TextBlockTypes = new(StringComparer.Ordinal)
    {
        "paragraph", "heading_1", "heading_2", "heading_3", "bulleted_list_item", "numbered_list_item", "to_do", "quote", "callout", "toggle", "code",
    };

    public static string ShortId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));

    public static string Timestamp(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A create-database schema (<c>{"Name":{"title":{}}, "Status":{"select":{"options":[...]}}}</c>) in response shape.</summary>
    public static JsonObject Schema(JsonObject definition)
    {
        var schema = new JsonObject();
        foreach (var (name, node) in definition)
        {
            if (node is not JsonObject property)
            {
                throw NotionFakeException.Validation($"body.properties.{name} should be an object.");
            }

            var type = TypeOf(property, name);
            var config = property[type] is JsonObject c ? (JsonObject)c.DeepClone() : [];
            if (type is "select" or "multi_select" or "status")
            {
                var options = new JsonArray();
                foreach (var option in (config["options"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    options.Add(NewOption(option["name"]?.GetValue<string>() ?? throw NotionFakeException.Validation("An option needs a name.")));
                }

                config["options"] = options;
            }

            schema[name] = new JsonObject { ["id"] = type == "title" ? "title" : ShortId(), ["name"] = name, ["type"] = type, [type] = config };
        }

        if (!schema.Any(p => p.Value?["type"]?.GetValue<string>() == "title"))
        {
            throw NotionFakeException.Validation("A database needs exactly one title property.");
        }

        return schema;
    }

    public static JsonObject NewOption(string name) => new()
    {
        ["id"] = Guid.NewGuid().ToString(),
        ["name"] = name,
        ["color"] = Colors[RandomNumberGenerator.GetInt32(Colors.Length)],
    };

    /// <summary>The type of a property object: its <c>type</c>, or its only key that is not <c>id</c>/<c>name</c>/<c>type</c>.</summary>
    public static string TypeOf(JsonObject property, string name)
    {
        if (property["type"]?.GetValue<string>() is { } declared)
        {
            return declared;
        }

        var keys = property.Select(p => p.Key).Where(k => k is not ("id" or "name" or "type" or "description")).ToList();
        return keys.Count == 1 ? keys[0] : throw NotionFakeException.Validation($"body.properties.{name} should have exactly one property type.");
    }

    /// <summary>An empty value of a schema property, as Notion answers it.</summary>
    public static JsonObject EmptyValue(JsonObject schemaProperty)
    {
        var type = schemaProperty["type"]!.GetValue<string>();
        JsonNode? value = type switch
        {
            "title" or "rich_text" or "multi_select" or "people" or "relation" or "files" => new JsonArray(),
            "checkbox" => false,
            _ => null,
        };
        return new JsonObject { ["id"] = schemaProperty["id"]!.GetValue<string>(), ["type"] = type, [type] = value };
    }

    /// <summary>A written property value in response shape, checked against the schema property (options are added as Notion does).</summary>
    public static JsonObject PropertyValue(string name, JsonObject schemaProperty, JsonNode? written)
    {
        var type = schemaProperty["type"]!.GetValue<string>();
        if (written is not JsonObject input)
        {
            throw NotionFakeException.Validation($"body.properties.{name} should be an object, instead was `{written?.ToJsonString() ?? "null"}`.");
        }

        var writtenType = TypeOf(input, name);
        if (writtenType != type)
        {
            throw NotionFakeException.Validation($"{name} is expected to be {type}.");
        }

        var value = input[type];
        JsonNode? stored = type switch
        {
            "title" or "rich_text" => RichText(value as JsonArray ?? throw NotionFakeException.Validation($"body.properties.{name}.{type} should be an array."), $"body.properties.{name}.{type}"),
            "number" => value is null ? null : value.GetValueKind() == JsonValueKind.Number ? value.DeepClone() : throw NotionFakeException.Validation($"body.properties.{name}.number should be a number or `null`."),
            "checkbox" => value?.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? value.DeepClone() : throw NotionFakeException.Validation($"body.properties.{name}.checkbox should be a boolean."),
            "select" => value is null ? null : Option(name, schemaProperty, value, create: true),
            "status" => value is null ? null : Option(name, schemaProperty, value, create: false),
            "multi_select" => new JsonArray((value as JsonArray ?? throw NotionFakeException.Validation($"body.properties.{name}.multi_select should be an array."))
                .Select(o => (JsonNode)Option(name, schemaProperty, o, create: true)).ToArray()),
            "date" => value is null ? null : Date(name, value),
            "url" or "email" or "phone_number" => value is null ? null : value.GetValueKind() == JsonValueKind.String ? value.DeepClone() : throw NotionFakeException.Validation($"body.properties.{name}.{type} should be a string or `null`."),
            "people" or "relation" or "files" => value?.DeepClone() ?? new JsonArray(),
            _ => throw NotionFakeException.Validation($"{name} is a {type} property, which cannot be written."),
        };
        return new JsonObject { ["id"] = schemaProperty["id"]!.GetValue<string>(), ["type"] = type, [type] = stored };
    }

    private static JsonObject Option(string name, JsonObject schemaProperty, JsonNode? written, bool create)
    {
        var type = schemaProperty["type"]!.GetValue<string>();
        var optionName = written?["name"]?.GetValue<string>() ?? throw NotionFakeException.Validation($"body.properties.{name}.{type}.name should be defined.");
        if (optionName.Contains(',', StringComparison.Ordinal))
        {
            throw NotionFakeException.Validation($"Select option names cannot contain commas: \"{optionName}\".");
        }

        var options = (JsonArray)schemaProperty[type]!["options"]!;
        var option = options.OfType<JsonObject>().FirstOrDefault(o => o["name"]?.GetValue<string>() == optionName);
        if (option is null)
        {
            if (!create)
            {
                throw NotionFakeException.Validation($"Invalid status option. Status option \"{optionName}\" does not exist\".");
            }

            option = NewOption(optionName);
            options.Add(option);
        }

        return (JsonObject)option.DeepClone();
    }

    private static JsonObject Date(string name, JsonNode value)
    {
        var start = value["start"]?.GetValue<string>() ?? throw NotionFakeException.Validation($"body.properties.{name}.date.start should be defined.");
        if (!DateTimeOffset.TryParse(start, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
        {
            throw NotionFakeException.Validation($"body.properties.{name}.date.start should be a valid ISO 8601 date string, instead was `\"{start}\"`.");
        }

        return new JsonObject { ["start"] = start, ["end"] = value["end"]?.GetValue<string>(), ["time_zone"] = value["time_zone"]?.GetValue<string>() };
    }

    /// <summary>Written rich text (<c>[{"text":{"content":"..."}}]</c>) in response shape, with Notion's 2,000-character limit.</summary>
    public static JsonArray RichText(JsonArray written, string path)
    {
        var result = new JsonArray();
        var index = 0;
        foreach (var item in written)
        {
            var type = item?["type"]?.GetValue<string>() ?? "text";
            if (type != "text")
            {
                throw NotionFakeException.Validation($"{path}[{index}].type \"{type}\" is not supported by the fake.");
            }

            var content = item?["text"]?["content"]?.GetValue<string>() ?? throw NotionFakeException.Validation($"{path}[{index}].text.content should be defined, instead was `undefined`.");
            if (content.Length > 2000)
            {
                throw NotionFakeException.Validation($"{path}[{index}].text.content.length should be ≤ `2000`, instead was `{content.Length}`.");
            }

            var link = item?["text"]?["link"]?.DeepClone();
            result.Add(new JsonObject
            {
                ["type"] = "text",
                ["text"] = new JsonObject { ["content"] = content, ["link"] = link },
                ["annotations"] = item?["annotations"]?.DeepClone() ?? new JsonObject
                {
                    ["bold"] = false, ["italic"] = false, ["strikethrough"] = false, ["underline"] = false, ["code"] = false, ["color"] = "default",
                },
                ["plain_text"] = content,
                ["href"] = link?["url"]?.DeepClone(),
            });
            index++;
        }

        return result;
    }

    /// <summary>A written block in response shape.</summary>
    public static JsonObject Block(JsonNode? written, string pageId, DateTimeOffset now, int index)
    {
        if (written is not JsonObject input)
        {
            throw NotionFakeException.Validation($"body.children[{index}] should be an object.");
        }

        var type = input["type"]?.GetValue<string>()
            ?? input.Select(p => p.Key).FirstOrDefault(k => k != "object")
            ?? throw NotionFakeException.Validation($"body.children[{index}].type should be defined.");
        JsonObject body;
        if (type == "divider")
        {
            body = [];
        }
        else if (TextBlockTypes.Contains(type))
        {
            var content = input[type] as JsonObject ?? throw NotionFakeException.Validation($"body.children[{index}].{type} should be defined, instead was `undefined`.");
            body = new JsonObject
            {
                ["rich_text"] = RichText(content["rich_text"] as JsonArray ?? throw NotionFakeException.Validation($"body.children[{index}].{type}.rich_text should be defined, instead was `undefined`."), $"body.children[{index}].{type}.rich_text"),
                ["color"] = content["color"]?.DeepClone() ?? "default",
            };
            if (type == "to_do")
            {
                body["checked"] = content["checked"]?.GetValue<bool>() ?? false;
            }

            if (type == "code")
            {
                body["language"] = content["language"]?.DeepClone() ?? "plain text";
            }
        }
        else
        {
            throw NotionFakeException.Validation($"body.children[{index}].type \"{type}\" is not supported by the fake.");
        }

        var stamp = Timestamp(now);
        return new JsonObject
        {
            ["object"] = "block",
            ["id"] = Guid.NewGuid().ToString(),
            ["parent"] = new JsonObject { ["type"] = "page_id", ["page_id"] = pageId },
            ["created_time"] = stamp,
            ["last_edited_time"] = stamp,
            ["created_by"] = new JsonObject { ["object"] = "user", ["id"] = FakeNotion.BotId },
            ["last_edited_by"] = new JsonObject { ["object"] = "user", ["id"] = FakeNotion.BotId },
            ["has_children"] = false,
            ["archived"] = false,
            ["in_trash"] = false,
            ["type"] = type,
            [type] = body,
        };
    }

    /// <summary>A property value as something to compare: text, number, bool, date, or a list of names.</summary>
    public static object? Comparable(JsonObject? property)
    {
        var type = property?["type"]?.GetValue<string>();
        if (type is null)
        {
            return null;
        }

        var value = property![type];
        return type switch
        {
            "title" or "rich_text" => string.Concat((value as JsonArray ?? []).Select(r => r?["plain_text"]?.GetValue<string>())),
            "number" => value?.GetValue<double>(),
            "checkbox" => value?.GetValue<bool>() ?? false,
            "select" or "status" => value?["name"]?.GetValue<string>(),
            "multi_select" => (value as JsonArray ?? []).Select(o => o?["name"]?.GetValue<string>() ?? string.Empty).ToList(),
            "date" => value?["start"]?.GetValue<string>() is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null,
            "url" or "email" or "phone_number" => value?.GetValue<string>(),
            _ => value?.ToJsonString(),
        };
    }
}
