using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CompanyHub.Fakes.Attio;

/// <summary>Turns written attribute values (shorthand or full objects) into stored value objects, checking them.</summary>
internal static class AttioValueWriter
{
    public static string Timestamp(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'00Z'", CultureInfo.InvariantCulture);

    /// <summary>The values written for one attribute: a single value or an array of them; null or [] clears.</summary>
    public static List<JsonObject> Values(FakeAttioAttribute attribute, JsonNode? written, Func<string, string, bool> recordExists)
    {
        var items = written switch
        {
            null => [],
            JsonArray array => array.ToList(),
            _ => [written],
        };
        if (!attribute.IsMultiselect && items.Count > 1)
        {
            throw AttioFakeException.Validation($"Multiple values were passed to the single-value attribute \"{attribute.Slug}\".");
        }

        var now = Timestamp(DateTimeOffset.UtcNow);
        return items.Select(item =>
        {
            var value = Value(attribute, item, recordExists);
            value["active_from"] = now;
            value["active_until"] = null;
            value["created_by_actor"] = new JsonObject { ["type"] = "api-token", ["id"] = FakeAttio.TokenActorId };
            value["attribute_type"] = attribute.Type;
            return value;
        }).ToList();
    }

    private static JsonObject Value(FakeAttioAttribute attribute, JsonNode? item, Func<string, string, bool> recordExists)
    {
        var slug = attribute.Slug;
        string Text(string? field = null)
        {
            var node = field is not null && item is JsonObject o ? o[field] : item;
            return node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>()
                : throw AttioFakeException.Validation($"An invalid value was passed to attribute with slug \"{slug}\".");
        }

        switch (attribute.Type)
        {
            case "text":
                return new JsonObject { ["value"] = Text(item is JsonObject ? "value" : null) };
            case "number" or "rating":
            {
                var node = item is JsonObject o ? o["value"] : item;
                return node?.GetValueKind() == JsonValueKind.Number
                    ? new JsonObject { ["value"] = node.DeepClone() }
                    : throw AttioFakeException.Validation($"An invalid value was passed to attribute with slug \"{slug}\": expected a number.");
            }

            case "checkbox":
            {
                var node = item is JsonObject o ? o["value"] : item;
                return node?.GetValueKind() is JsonValueKind.True or JsonValueKind.False
                    ? new JsonObject { ["value"] = node.DeepClone() }
                    : throw AttioFakeException.Validation($"An invalid value was passed to attribute with slug \"{slug}\": expected a boolean.");
            }

            case "date" or "timestamp":
            {
                var text = Text(item is JsonObject ? "value" : null);
                return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
                    ? new JsonObject { ["value"] = text }
                    : throw AttioFakeException.Validation($"An invalid value was passed to attribute with slug \"{slug}\": \"{text}\" is not a date.");
            }

            case "currency":
            {
                var node = item is JsonObject o ? o["currency_value"] : item;
                return node?.GetValueKind() == JsonValueKind.Number
                    ? new JsonObject { ["currency_value"] = node.DeepClone(), ["currency_code"] = (item as JsonObject)?["currency_code"]?.DeepClone() ?? "USD" }
                    : throw AttioFakeException.Validation($"An invalid value was passed to attribute with slug \"{slug}\": expected a currency value.");
            }

            case "select":
            {
                var title = Text(item is JsonObject ? "option" : null);
                return attribute.Options?.Contains(title) == true
                    ? new JsonObject { ["option"] = new JsonObject { ["id"] = new JsonObject { ["option_id"] = OptionId(title) }, ["title"] = title, ["is_archived"] = false } }
                    : throw new AttioFakeException(400, "value_not_found", $"Cannot find select option with title \"{title}\" for attribute \"{slug}\".");
            }

            case "status":
            {
                var title = Text(item is JsonObject ? "status" : null);
                return attribute.Options?.Contains(title) == true
                    ? new JsonObject { ["status"] = new JsonObject { ["id"] = new JsonObject { ["status_id"] = OptionId(title) }, ["title"] = title, ["is_archived"] = false } }
                    : throw new AttioFakeException(400, "value_not_found", $"Cannot find status with title \"{title}\" for attribute \"{slug}\".");
            }

            case "record-reference":
            {
                var target = item is JsonObject o ? o["target_object"]?.GetValue<string>() : null;
                var recordId = item is JsonObject r ? r["target_record_id"]?.GetValue<string>() : Text();
                if (target is null || recordId is null || !recordExists(target, recordId))
                {
                    throw new AttioFakeException(400, "value_not_found", $"Could not find the record referenced by attribute \"{slug}\".");
                }

                return new JsonObject { ["target_object"] = target, ["target_record_id"] = recordId };
            }

            case "actor-reference":
                return item is JsonObject actor && actor["referenced_actor_id"] is not null
                    ? new JsonObject { ["referenced_actor_type"] = actor["referenced_actor_type"]?.DeepClone() ?? "workspace-member", ["referenced_actor_id"] = actor["referenced_actor_id"]!.DeepClone() }
                    : throw AttioFakeException.Validation($"An invalid value was passed to attribute with slug \"{slug}\": expected an actor reference.");

            case "domain":
            {
                var domain = Text(item is JsonObject ? "domain" : null).ToLowerInvariant();
                return domain.Contains('.', StringComparison.Ordinal) && !domain.Contains('/', StringComparison.Ordinal)
                    ? new JsonObject { ["domain"] = domain, ["root_domain"] = domain }
                    : throw AttioFakeException.Validation($"An invalid value was passed to attribute with slug \"{slug}\": \"{domain}\" is not a domain.");
            }

            case "email-address":
            {
                var email = Text(item is JsonObject ? "email_address" : null);
                var at = email.IndexOf('@', StringComparison.Ordinal);
                if (at <= 0 || at == email.Length - 1 || email.Contains(' ', StringComparison.Ordinal))
                {
                    throw AttioFakeException.Validation($"An invalid value was passed to attribute with slug \"{slug}\": \"{email}\" is not an email address.");
                }

                var normalized = email.ToLowerInvariant();
                return new JsonObject
                {
                    ["original_email_address"] = email,
                    ["email_address"] = normalized,
                    ["email_domain"] = normalized[(at + 1)..],
                    ["email_root_domain"] = normalized[(at + 1)..],
                    ["email_local_specifier"] = normalized[..at],
                };
            }

            case "phone-number":
            {
                var phone = Text(item is JsonObject ? "original_phone_number" : null);
                var digits = new string(phone.Where(c => char.IsDigit(c) || c == '+').ToArray());
                return new JsonObject { ["original_phone_number"] = phone, ["phone_number"] = digits, ["country_code"] = (item as JsonObject)?["country_code"]?.DeepClone() };
            }

            case "personal-name":
            {
                string? first, last, full;
                if (item is JsonObject name)
                {
                    first = name["first_name"]?.GetValue<string>();
                    last = name["last_name"]?.GetValue<string>();
                    full = name["full_name"]?.GetValue<string>() ?? string.Join(' ', new[] { first, last }.Where(s => !string.IsNullOrEmpty(s)));
                }
                else
                {
                    full = Text();
                    var space = full.LastIndexOf(' ');
                    (first, last) = space > 0 ? (full[..space], full[(space + 1)..]) : (full, string.Empty);
                }

                return new JsonObject { ["first_name"] = first ?? string.Empty, ["last_name"] = last ?? string.Empty, ["full_name"] = full };
            }

            case "location":
                return item is JsonObject location ? (JsonObject)location.DeepClone() : throw AttioFakeException.Validation($"Attribute \"{slug}\" takes a location object.");

            default:
                throw AttioFakeException.Validation($"Attribute \"{slug}\" of type {attribute.Type} cannot be written.");
        }
    }

    /// <summary>The text a value is compared and matched by.</summary>
    public static string? Main(JsonObject value) => value["attribute_type"]?.GetValue<string>() switch
    {
        "email-address" => value["email_address"]?.GetValue<string>(),
        "domain" => value["domain"]?.GetValue<string>(),
        "personal-name" => value["full_name"]?.GetValue<string>(),
        "currency" => value["currency_value"]?.ToJsonString(),
        "select" => value["option"]?["title"]?.GetValue<string>(),
        "status" => value["status"]?["title"]?.GetValue<string>(),
        "record-reference" => value["target_record_id"]?.GetValue<string>(),
        "actor-reference" => value["referenced_actor_id"]?.GetValue<string>(),
        "phone-number" => value["phone_number"]?.GetValue<string>(),
        _ => value["value"] is { } v ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()) : null,
    };

    private static string OptionId(string title) =>
        new Guid(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(title)).AsSpan(0, 16)).ToString();
}
