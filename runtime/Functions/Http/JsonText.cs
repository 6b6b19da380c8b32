using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Serverless.Functions.Http;

/// <summary>Checks on request text before it is bound: strict UTF-8, and JSON strings that are valid UTF-16.</summary>
internal static class JsonText
{
    /// <summary>UTF-8 that refuses invalid bytes instead of replacing them with U+FFFD (what was sent is not what would be stored).</summary>
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The message a request gets when <see cref="ReadBodyAsync"/> finds its body is not UTF-8.</summary>
    public const string NotUtf8 = "The body is not valid UTF-8.";

    /// <summary>Reads the whole request body as strict UTF-8 (a byte-order mark is honoured); null when it is not valid UTF-8.</summary>
    public static async Task<string?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var reader = new StreamReader(request.Body, StrictUtf8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
            return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

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
