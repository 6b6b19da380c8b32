using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CompanyHub.Integrations.Http;

/// <summary>Lenient readers for the parts of service responses the clients use.</summary>
internal static partial class JsonElementExtensions
{
    public static string? GetStringOrNull(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value.AsText() : null;

    /// <summary>Strings as they are, numbers and booleans as their JSON text, everything else null.</summary>
    public static string? AsText(this JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    public static JsonElement? GetObjectOrNull(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    public static IEnumerable<JsonElement> GetArrayItems(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : [];

    public static bool GetBoolean(this JsonElement element, string name, bool fallback = false)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value))
        {
            return fallback;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            // Some Google endpoints have sent booleans as strings ("true").
            JsonValueKind.String => bool.TryParse(value.GetString(), out var parsed) ? parsed : fallback,
            _ => fallback,
        };
    }

    public static DateTimeOffset? GetDateTimeOffsetOrNull(this JsonElement element, string name)
    {
        if (element.GetStringOrNull(name) is not { } text)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value;
        }

        // Attio writes nanoseconds ("2022-11-21T13:22:49.061281000Z"); .NET reads at most 7 fraction digits.
        var trimmed = LongFractionPattern().Replace(text, "$1");
        return DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value) ? value : null;
    }

    [GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial Regex LongFractionPattern();
}
