using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CompanyHub.Fakes.Attio;

/// <summary>
/// Attio's record filter: shorthand (<c>{"email_addresses": "a@x.com"}</c>) and verbose (<c>$and</c>, <c>$or</c>,
/// <c>$not</c>, <c>$eq</c>, <c>$contains</c>, <c>$starts_with</c>, <c>$ends_with</c>, <c>$in</c>, <c>$gt</c>, <c>$gte</c>,
/// <c>$lt</c>, <c>$lte</c>, <c>$not_empty</c>, on the attribute or on one of its value fields).
/// </summary>
internal static class AttioFilter
{
    /// <summary>Checks a filter's attributes and operators even when there is no record to evaluate it on, as Attio does.</summary>
    public static void Validate(JsonNode? filter, AttioObjectState obj) =>
        Matches(filter, new AttioRecordState { Id = string.Empty, ObjectSlug = obj.Slug, CreatedAt = DateTimeOffset.UnixEpoch }, obj);

    public static bool Matches(JsonNode? filter, AttioRecordState record, AttioObjectState obj)
    {
        if (filter is null)
        {
            return true;
        }

        if (filter is not JsonObject condition)
        {
            throw FilterError("The filter must be an object.");
        }

        foreach (var (key, node) in condition)
        {
            var ok = key switch
            {
                "$and" => (node as JsonArray ?? throw FilterError("$and takes an array.")).Select(f => Matches(f, record, obj)).ToList().All(m => m),
                "$or" => (node as JsonArray ?? throw FilterError("$or takes an array.")).Select(f => Matches(f, record, obj)).ToList().Any(m => m),
                "$not" => !Matches(node, record, obj),
                _ => AttributeMatches(key, node, record, obj),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool AttributeMatches(string slug, JsonNode? condition, AttioRecordState record, AttioObjectState obj)
    {
        if (!obj.Attributes.ContainsKey(slug))
        {
            throw FilterError($"Unknown attribute slug: {slug}");
        }

        var values = record.Current(slug).ToList();
        if (condition is not JsonObject verbose)
        {
            var target = Scalar(condition);
            return values.Any(v => Equal(AttioValueWriter.Main(v), target));
        }

        foreach (var (key, operand) in verbose)
        {
            bool ok;
            if (key.StartsWith('$'))
            {
                ok = Compare(key, operand, values.Select(AttioValueWriter.Main).ToList());
            }
            else
            {
                // A value field: {"name": {"first_name": {"$eq": "Ada"}}} or {"email_addresses": {"email_domain": "x.com"}}.
                var fields = values.Select(v => v[key] switch
                {
                    null => null,
                    JsonObject titled when titled["title"] is { } title => title.GetValue<string>(), // option and status fields match by title
                    var f when f.GetValueKind() == JsonValueKind.String => f.GetValue<string>(),
                    var f => f.ToJsonString(),
                }).ToList();
                ok = operand is JsonObject ops
                    ? ops.All(op => Compare(op.Key, op.Value, fields))
                    : fields.Any(f => Equal(f, Scalar(operand)));
            }

            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Compare(string op, JsonNode? operand, List<string?> values) => op switch
    {
        "$eq" => values.Any(v => Equal(v, Scalar(operand))),
        "$contains" => values.Any(v => v?.Contains(Scalar(operand) ?? string.Empty, StringComparison.OrdinalIgnoreCase) == true),
        "$starts_with" => values.Any(v => v?.StartsWith(Scalar(operand) ?? string.Empty, StringComparison.OrdinalIgnoreCase) == true),
        "$ends_with" => values.Any(v => v?.EndsWith(Scalar(operand) ?? string.Empty, StringComparison.OrdinalIgnoreCase) == true),
        "$in" => (operand as JsonArray ?? throw FilterError("$in takes an array.")).Any(o => values.Any(v => Equal(v, Scalar(o)))),
        "$not_empty" => values.Any(v => !string.IsNullOrEmpty(v)) == (operand?.GetValueKind() != JsonValueKind.False),
        "$gt" => values.Any(v => Order(v, operand) > 0),
        "$gte" => values.Any(v => Order(v, operand) >= 0),
        "$lt" => values.Any(v => Order(v, operand) is < 0 and not int.MinValue),
        "$lte" => values.Any(v => Order(v, operand) is <= 0 and not int.MinValue),
        _ => throw FilterError($"Unknown filter operator: {op}"),
    };

    /// <summary>Numbers as numbers, dates as dates, else text; <see cref="int.MinValue"/> when there is nothing to compare.</summary>
    private static int Order(string? value, JsonNode? operand)
    {
        var target = Scalar(operand);
        if (value is null || target is null)
        {
            return int.MinValue;
        }

        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) && double.TryParse(target, NumberStyles.Float, CultureInfo.InvariantCulture, out var b))
        {
            return a.CompareTo(b);
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var x)
            && DateTimeOffset.TryParse(target, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var y))
        {
            return x.CompareTo(y);
        }

        return string.CompareOrdinal(value, target);
    }

    private static bool Equal(string? value, string? target) =>
        value is not null && target is not null && value.Equals(target, StringComparison.OrdinalIgnoreCase);

    private static string? Scalar(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.String => node.GetValue<string>(),
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => node.ToJsonString(),
        _ => null,
    };

    private static AttioFakeException FilterError(string message) => new(400, "filter_error", message);
}
