using System.Text.Json;

namespace Serverless.Functions.Configuration;

/// <summary>
/// The contents of local.settings.json, as <c>func start</c> reads it: <c>Values</c> become app settings (and
/// environment variables, unless already set), <c>ConnectionStrings</c> become <c>ConnectionStrings:Name</c>, and
/// <c>Host.LocalHttpPort</c> sets the port when no URL is configured.
/// </summary>
public sealed class LocalSettings
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>Gets the <c>Values</c> section.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the <c>ConnectionStrings</c> section.</summary>
    public IReadOnlyDictionary<string, string> ConnectionStrings { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets <c>Host.LocalHttpPort</c>, when set.</summary>
    public int? LocalHttpPort { get; init; }

    /// <summary>Reads the file; null when it does not exist.</summary>
    public static LocalSettings? Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : null;
    }

    /// <summary>Parses the text of local.settings.json.</summary>
    public static LocalSettings Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new LocalSettingsException("$", $"the file is not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}).", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new LocalSettingsException("$", "expected an object with \"Values\".");
            }

            var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var connectionStrings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            int? port = null;
            foreach (var property in root.EnumerateObject())
            {
                var path = HostJson.Child("$", property.Name);
                switch (property.Name.ToUpperInvariant())
                {
                    case "ISENCRYPTED":
                        if (property.Value.ValueKind == JsonValueKind.True)
                        {
                            throw new LocalSettingsException(path, "encrypted local settings are not supported; store the values in plain text (the file is git-ignored) or use environment variables.");
                        }

                        if (property.Value.ValueKind != JsonValueKind.False)
                        {
                            throw new LocalSettingsException(path, $"expected true or false, found {HostJson.Describe(property.Value)}.");
                        }

                        break;
                    case "VALUES":
                        ReadStrings(property.Value, path, values);
                        break;
                    case "CONNECTIONSTRINGS":
                        ReadStrings(property.Value, path, connectionStrings);
                        break;
                    case "HOST":
                        port = ReadHost(property.Value, path);
                        break;
                    default:
                        // func ignores other sections too.
                        break;
                }
            }

            return new LocalSettings { Values = values, ConnectionStrings = connectionStrings, LocalHttpPort = port };
        }
    }

    /// <summary>Gets the settings as configuration keys (<c>A__B</c> becomes <c>A:B</c>, as for environment variables).</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration() =>
        Values.Select(v => new KeyValuePair<string, string?>(v.Key.Replace("__", ":", StringComparison.Ordinal), v.Value))
            .Concat(ConnectionStrings.Select(c => new KeyValuePair<string, string?>($"ConnectionStrings:{c.Key}", c.Value)));

    private static void ReadStrings(JsonElement element, string path, Dictionary<string, string> target)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new LocalSettingsException(path, $"expected an object of names and string values, found {HostJson.Describe(element)}.");
        }

        foreach (var property in element.EnumerateObject())
        {
            var childPath = HostJson.Child(path, property.Name);
            target[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                _ => throw new LocalSettingsException(childPath, $"a setting's value must be a string, found {HostJson.Describe(property.Value)}."),
            };
        }
    }

    private static int? ReadHost(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new LocalSettingsException(path, $"expected an object, found {HostJson.Describe(element)}.");
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, "LocalHttpPort", StringComparison.OrdinalIgnoreCase))
            {
                if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out var port) || port is < 0 or > 65535)
                {
                    throw new LocalSettingsException(HostJson.Child(path, property.Name), $"expected a port number from 0 to 65535, found {HostJson.Describe(property.Value)}.");
                }

                return port;
            }
        }

        return null;
    }
}
