using System.Text;
using System.Text.Json;

namespace Serverless.Functions.Http;

/// <summary>Checks on request text before it is bound: strict UTF-8, and JSON strings that are valid UTF-16.</summary>
internal static class JsonText
{
    /// <summary>UTF-8 that refuses invalid bytes instead of replacing them with U+FFFD (what was sent is not what would be stored).</summary>
    public static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The JSON path of the first string or property name holding an escaped lone surrogate (<c>"\uD800"</c>), or null.</summary>
    public static string? FindInvalidString(JsonElement element, string path = "$")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Readable(element) ? null : path;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindInvalidString(item, $"{path}[{i++}]") is { } inArray)
                    {
                        return inArray;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    string name;
                    try
                    {
                        name = property.Name;
                    }
                    catch (InvalidOperationException)
                    {
                        return path;
                    }

                    if (FindInvalidString(property.Value, $"{path}.{name}") is { } inObject)
                    {
                        return inObject;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private static bool Readable(JsonElement element)
    {
        try
        {
            _ = element.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
