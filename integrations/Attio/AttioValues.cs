using System.Text.Json;
using System.Text.Json.Nodes;
using CompanyHub.Integrations.Http;

namespace CompanyHub.Integrations.Attio;

/// <summary>Reduces Attio's attribute values (arrays of typed value objects with history) to text, or to the shape that writes them back.</summary>
internal static class AttioValues
{
    public static AttioRecord ReadRecord(JsonElement record, string objectSlug)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (record.GetObjectOrNull("values") is { } attributes)
        {
            foreach (var attribute in attributes.EnumerateObject())
            {
                if (attribute.Value.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                var texts = attribute.Value.EnumerateArray()
                    .Where(v => v.GetStringOrNull("active_until") is null) // only current values, not history
                    .Select(Simplify)
                    .Where(t => !string.IsNullOrEmpty(t))
                    .ToArray();
                if (texts.Length > 0)
                {
                    values[attribute.Name] = string.Join("; ", texts);
                }
            }
        }

        return new AttioRecord(
            record.GetObjectOrNull("id")?.GetStringOrNull("record_id") ?? string.Empty,
            objectSlug,
            record.GetStringOrNull("web_url"),
            record.GetDateTimeOffsetOrNull("created_at"),
            values);
    }

    /// <summary>
    /// A value as read (with its history fields and type), in the shape Attio takes when writing it: the option or status
    /// by title, the fields that identify an address, name, domain or reference, and <c>value</c> for the plain types.
    /// </summary>
    public static JsonObject ToWriteValue(JsonElement value)
    {
        string[] keep = value.GetStringOrNull("attribute_type") switch
        {
            "select" or "status" => [],
            "personal-name" => ["first_name", "last_name", "full_name"],
            "email-address" => ["email_address"],
            "domain" => ["domain"],
            "phone-number" => ["original_phone_number", "country_code"],
            "currency" => ["currency_value"],
            "record-reference" => ["target_object", "target_record_id"],
            "actor-reference" => ["referenced_actor_type", "referenced_actor_id"],
            "location" => ["line_1", "line_2", "line_3", "line_4", "locality", "region", "postcode", "country_code", "latitude", "longitude"],
            _ => ["value"],
        };
        var written = new JsonObject();
        switch (value.GetStringOrNull("attribute_type"))
        {
            case "select":
                written["option"] = value.GetObjectOrNull("option")?.GetStringOrNull("title");
                break;
            case "status":
                written["status"] = value.GetObjectOrNull("status")?.GetStringOrNull("title");
                break;
        }

        foreach (var field in keep)
        {
            if (value.TryGetProperty(field, out var v))
            {
                written[field] = JsonNode.Parse(v.GetRawText());
            }
        }

        return written;
    }

    public static string? Simplify(JsonElement value) => value.GetStringOrNull("attribute_type") switch
    {
        "personal-name" => value.GetStringOrNull("full_name")
            ?? string.Join(' ', new[] { value.GetStringOrNull("first_name"), value.GetStringOrNull("last_name") }.Where(s => !string.IsNullOrEmpty(s))),
        "email-address" => value.GetStringOrNull("email_address"),
        "domain" => value.GetStringOrNull("domain"),
        "phone-number" => value.GetStringOrNull("original_phone_number") ?? value.GetStringOrNull("phone_number"),
        "currency" => value.GetStringOrNull("currency_value") is { } amount
            ? (value.GetStringOrNull("currency_code") is { } code ? $"{amount} {code}" : amount)
            : null,
        "select" => value.GetObjectOrNull("option")?.GetStringOrNull("title"),
        "status" => value.GetObjectOrNull("status")?.GetStringOrNull("title"),
        "record-reference" => $"{value.GetStringOrNull("target_object")}/{value.GetStringOrNull("target_record_id")}",
        "actor-reference" => $"{value.GetStringOrNull("referenced_actor_type")}/{value.GetStringOrNull("referenced_actor_id")}",
        "location" => string.Join(", ", new[] { "line_1", "line_2", "locality", "region", "postcode", "country_code" }
            .Select(name => value.GetStringOrNull(name)).Where(s => !string.IsNullOrEmpty(s))),
        "interaction" => $"{value.GetStringOrNull("interaction_type")} {value.GetStringOrNull("interacted_at")}".Trim(),
        _ => value.GetStringOrNull("value") ?? (value.ValueKind == JsonValueKind.Object ? null : value.AsText()),
    };
}
