using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CompanyHub.Fakes.Notion;

/// <summary>Notion's query filter and sorts, for the property types the fake stores.</summary>
internal static class NotionFilter
{
    /// <summary>Checks a filter against the schema even when there is no page to evaluate it on, as Notion does.</summary>
    public static void Validate(JsonNode? filter, JsonObject schema)
    {
        var empty = new NotionPageState
        {
            Id = string.Empty,
            ParentType = "database_id",
            Properties = new JsonObject(schema.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)NotionValues.EmptyValue((JsonObject)p.Value!)))),
            Created = DateTimeOffset.UnixEpoch,
        };
        Matches(filter, empty, schema);
    }

    public static bool Matches(JsonNode? filter, NotionPageState page, JsonObject schema)
    {
        if (filter is null)
        {
            return true;
        }

        if (filter is not JsonObject condition)
        {
            throw NotionFakeException.Validation("body.filter should be an object.");
        }

        // Every branch is evaluated (no short-circuit), so a bad condition is reported even where it would not decide.
        if (condition["and"] is JsonArray all)
        {
            return all.Select(f => Matches(f, page, schema)).ToList().All(m => m);
        }

        if (condition["or"] is JsonArray any)
        {
            return any.Select(f => Matches(f, page, schema)).ToList().Any(m => m);
        }

        if (condition["timestamp"]?.GetValue<string>() is { } timestamp)
        {
            var time = timestamp switch
            {
                "created_time" => page.Created,
                "last_edited_time" => page.LastEdited,
                _ => throw NotionFakeException.Validation($"body.filter.timestamp should be `\"created_time\"` or `\"last_edited_time\"`, instead was `\"{timestamp}\"`."),
            };
            return Compare("date", condition[timestamp] as JsonObject, time, timestamp);
        }

        var name = condition["property"]?.GetValue<string>() ?? throw NotionFakeException.Validation("body.filter.property should be defined, instead was `undefined`.");
        var schemaProperty = schema[name] as JsonObject ?? throw NotionFakeException.Validation($"Could not find property with name or id: {name}");
        var type = schemaProperty["type"]!.GetValue<string>();
        var filterType = condition.Select(p => p.Key).FirstOrDefault(k => k != "property")
            ?? throw NotionFakeException.Validation($"body.filter should define a {type} condition.");
        var textLike = type is "title" or "rich_text" or "url" or "email" or "phone_number";
        if (filterType != type && !(textLike && filterType is "rich_text" or "title"))
        {
            throw NotionFakeException.Validation($"body.filter.{filterType} should not be present: property \"{name}\" is of type {type}.");
        }

        return Compare(type, condition[filterType] as JsonObject, NotionValues.Comparable(page.Properties[name] as JsonObject), name);
    }

    private static bool Compare(string type, JsonObject? condition, object? value, string name)
    {
        if (condition is null || condition.Count != 1)
        {
            throw NotionFakeException.Validation($"The filter on {name} should have exactly one operator.");
        }

        var (op, operand) = condition.First();
        if (op == "is_empty")
        {
            return IsEmpty(value);
        }

        if (op == "is_not_empty")
        {
            return !IsEmpty(value);
        }

        switch (type)
        {
            case "title" or "rich_text" or "url" or "email" or "phone_number" or "select" or "status":
            {
                var text = value as string ?? string.Empty;
                var target = operand?.GetValue<string>() ?? string.Empty;
                return op switch
                {
                    "equals" => text == target,
                    "does_not_equal" => text != target,
                    "contains" when type is not ("select" or "status") => text.Contains(target, StringComparison.OrdinalIgnoreCase),
                    "does_not_contain" when type is not ("select" or "status") => !text.Contains(target, StringComparison.OrdinalIgnoreCase),
                    "starts_with" when type is not ("select" or "status") => text.StartsWith(target, StringComparison.OrdinalIgnoreCase),
                    "ends_with" when type is not ("select" or "status") => text.EndsWith(target, StringComparison.OrdinalIgnoreCase),
                    _ => throw Unsupported(),
                };
            }

            case "multi_select":
            {
                var names = value as List<string> ?? [];
                var target = operand?.GetValue<string>() ?? string.Empty;
                return op switch
                {
                    "contains" => names.Contains(target),
                    "does_not_contain" => !names.Contains(target),
                    _ => throw Unsupported(),
                };
            }

            case "checkbox":
            {
                var flag = value as bool? ?? false;
                var target = operand?.GetValueKind() == JsonValueKind.True;
                return op switch
                {
                    "equals" => flag == target,
                    "does_not_equal" => flag != target,
                    _ => throw Unsupported(),
                };
            }

            case "number":
            {
                if (value is not double number)
                {
                    return op == "does_not_equal";
                }

                var target = operand?.GetValue<double>() ?? throw Unsupported();
                return op switch
                {
                    "equals" => number.Equals(target),
                    "does_not_equal" => !number.Equals(target),
                    "greater_than" => number > target,
                    "less_than" => number < target,
                    "greater_than_or_equal_to" => number >= target,
                    "less_than_or_equal_to" => number <= target,
                    _ => throw Unsupported(),
                };
            }

            case "date":
            {
                if (value is not DateTimeOffset date)
                {
                    return false;
                }

                var text = operand?.GetValue<string>() ?? throw Unsupported();
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var target))
                {
                    throw NotionFakeException.Validation($"The date filter on {name} should be an ISO 8601 date, instead was \"{text}\".");
                }

                return op switch
                {
                    "equals" => date.UtcDateTime.Date == target.UtcDateTime.Date,
                    "before" => date < target,
                    "after" => date > target,
                    "on_or_before" => date <= target,
                    "on_or_after" => date >= target,
                    _ => throw Unsupported(),
                };
            }

            default:
                throw Unsupported();
        }

        NotionFakeException Unsupported() => NotionFakeException.Validation($"The {type} filter on {name} does not support \"{op}\".");
    }

    private static bool IsEmpty(object? value) => value switch
    {
        null => true,
        string s => s.Length == 0,
        List<string> list => list.Count == 0,
        _ => false,
    };

    public static IEnumerable<NotionPageState> Sort(IEnumerable<NotionPageState> pages, JsonNode? sorts, JsonObject schema)
    {
        if (sorts is null)
        {
            return pages.OrderByDescending(p => p.Created);
        }

        if (sorts is not JsonArray list)
        {
            throw NotionFakeException.Validation("body.sorts should be an array.");
        }

        IOrderedEnumerable<NotionPageState>? ordered = null;
        foreach (var sort in list.OfType<JsonObject>())
        {
            var descending = (sort["direction"]?.GetValue<string>() ?? "ascending") switch
            {
                "ascending" => false,
                "descending" => true,
                var d => throw NotionFakeException.Validation($"body.sorts.direction should be `\"ascending\"` or `\"descending\"`, instead was `\"{d}\"`."),
            };
            Func<NotionPageState, IComparable?> key;
            if (sort["timestamp"]?.GetValue<string>() is { } timestamp)
            {
                key = timestamp == "created_time" ? p => p.Created : p => p.LastEdited;
            }
            else
            {
                var name = sort["property"]?.GetValue<string>() ?? throw NotionFakeException.Validation("body.sorts.property should be defined.");
                if (schema[name] is null)
                {
                    throw NotionFakeException.Validation($"Could not find sort property with name or id: {name}");
                }

                key = p => NotionValues.Comparable(p.Properties[name] as JsonObject) switch
                {
                    List<string> names => string.Join(',', names),
                    IComparable c => c,
                    _ => null,
                };
            }

            ordered = ordered is null
                ? descending ? pages.OrderByDescending(key) : pages.OrderBy(key)
                : descending ? ordered.ThenByDescending(key) : ordered.ThenBy(key);
        }

        return ordered ?? pages;
    }
}
