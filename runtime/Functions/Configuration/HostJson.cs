using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Logging;

namespace Serverless.Functions.Configuration;

/// <summary>
/// Reads host.json strictly: every key must be one this host understands and every value must be valid, otherwise
/// a <see cref="HostJsonException"/> names the JSON path of the bad value. Comments and trailing commas are allowed.
/// </summary>
public static partial class HostJson
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The configuration section whose keys override host.json values, as in Azure Functions (<c>AzureFunctionsJobHost__extensions__durableTask__hubName</c>).</summary>
    public const string OverrideSection = "AzureFunctionsJobHost";

    /// <summary>Reads host.json from <paramref name="path"/>; a missing file gives the defaults (and the overrides).</summary>
    /// <param name="path">The file.</param>
    /// <param name="settings">Looks up app settings, for <c>%Setting%</c> references.</param>
    /// <param name="overrides">
    /// Values that replace or add host.json values, keyed by their path below the root with <c>:</c> between the parts
    /// (<c>extensions:durableTask:storageProvider:type</c>); empty values are ignored.
    /// </param>
    public static HostJsonOptions Load(string path, Func<string, string?> settings, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.Exists(path) ? File.ReadAllText(path) : """{ "version": "2.0" }""", settings, overrides);
    }

    /// <summary>Parses host.json text.</summary>
    /// <param name="json">The text.</param>
    /// <param name="settings">Looks up app settings, for <c>%Setting%</c> references.</param>
    /// <param name="overrides">Values that replace or add host.json values (see <see cref="Load"/>).</param>
    public static HostJsonOptions Parse(string json, Func<string, string?> settings, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(settings);
        var applied = overrides?.Where(o => !string.IsNullOrEmpty(o.Key) && !string.IsNullOrEmpty(o.Value)).ToList();
        if (applied is { Count: > 0 })
        {
            json = ApplyOverrides(json, applied);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new HostJsonException("$", $"the file is not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}): {FirstSentence(ex.Message)}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            RequireObject(root, "$");
            string? version = null;
            TimeSpan? functionTimeout = TimeSpan.FromMinutes(30);
            var logLevels = new Dictionary<string, LogLevel>(StringComparer.OrdinalIgnoreCase);
            var routePrefix = "api";
            var durable = new DurableTaskHostOptions();
            foreach (var property in root.EnumerateObject())
            {
                var path = Child("$", property.Name);
                switch (property.Name.ToUpperInvariant())
                {
                    case "$SCHEMA":
                        break;
                    case "VERSION":
                        version = String(property.Value, path);
                        if (version != "2.0")
                        {
                            throw new HostJsonException(path, $"the version must be \"2.0\" (the Azure Functions host.json schema this host reads), not \"{version}\".");
                        }

                        break;
                    case "FUNCTIONTIMEOUT":
                        var timeout = TimeSpanValue(property.Value, path, allowInfinite: true);
                        functionTimeout = timeout == Timeout.InfiniteTimeSpan ? null : timeout;
                        break;
                    case "LOGGING":
                        ReadLogging(property.Value, path, logLevels);
                        break;
                    case "EXTENSIONS":
                        (routePrefix, durable) = ReadExtensions(property.Value, path, settings);
                        break;
                    default:
                        throw Unknown(path, "version, functionTimeout, logging, extensions");
                }
            }

            if (version is null)
            {
                throw new HostJsonException("$.version", "the version is missing; host.json must say \"version\": \"2.0\".");
            }

            return new HostJsonOptions
            {
                Version = version,
                FunctionTimeout = functionTimeout,
                LogLevels = logLevels,
                RoutePrefix = routePrefix,
                DurableTask = durable,
            };
        }
    }

    /// <summary>
    /// Writes override values into the host.json text. A value keeps the JSON type of the value it replaces (a number
    /// stays a number); a new value is a boolean for <c>true</c>/<c>false</c>, a number when it reads as a whole number,
    /// and a string otherwise. Property names match case-insensitively, as host.json's do.
    /// </summary>
    private static string ApplyOverrides(string json, IReadOnlyList<KeyValuePair<string, string?>> overrides)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: DocumentOptions) as JsonObject
                ?? throw new HostJsonException("$", "the file must hold a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new HostJsonException("$", $"the file is not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}): {FirstSentence(ex.Message)}", ex);
        }

        foreach (var (key, value) in overrides.OrderBy(o => o.Key, StringComparer.OrdinalIgnoreCase))
        {
            var parts = key.Split(':');
            var path = "$";
            var node = root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                path = Child(path, parts[i]);
                var name = ExistingName(node, parts[i]);
                switch (node[name])
                {
                    case JsonObject child:
                        node = child;
                        break;
                    case null:
                        var created = new JsonObject();
                        node[name] = created;
                        node = created;
                        break;
                    default:
                        throw new HostJsonException(path, $"{OverrideSection}__{key.Replace(":", "__", StringComparison.Ordinal)} reaches below a value that is not an object.");
                }
            }

            var last = ExistingName(node, parts[^1]);
            node[last] = OverrideValue(node[last], value!);
        }

        return root.ToJsonString();
    }

    private static string ExistingName(JsonObject node, string name) =>
        node.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) ?? name;

    private static JsonNode OverrideValue(JsonNode? existing, string value)
    {
        var kind = existing?.GetValueKind();
        if (kind is JsonValueKind.True or JsonValueKind.False || (kind is null && (value is "true" or "false")))
        {
            if (bool.TryParse(value, out var flag))
            {
                return JsonValue.Create(flag);
            }
        }
        else if (kind is JsonValueKind.Number || kind is null)
        {
            if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
            {
                return JsonValue.Create(whole);
            }

            if (kind is JsonValueKind.Number && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return JsonValue.Create(number);
            }
        }

        // Anything else becomes a string: the strict reader then names the path if that is not what it expects.
        return JsonValue.Create(value);
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,44}$", RegexOptions.CultureInvariant)]
    private static partial Regex HubNamePattern();

    [GeneratedRegex("^%([^%]+)%$", RegexOptions.CultureInvariant)]
    private static partial Regex SettingReference();

    private static void ReadLogging(JsonElement element, string path, Dictionary<string, LogLevel> logLevels)
    {
        RequireObject(element, path);
        foreach (var property in element.EnumerateObject())
        {
            var childPath = Child(path, property.Name);
            if (!property.NameEquals("logLevel"))
            {
                throw Unknown(childPath, "logLevel");
            }

            RequireObject(property.Value, childPath);
            foreach (var level in property.Value.EnumerateObject())
            {
                var levelPath = Child(childPath, level.Name);
                var text = String(level.Value, levelPath);
                if (!Enum.TryParse<LogLevel>(text, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(text, CultureInfo.InvariantCulture, out _))
                {
                    throw new HostJsonException(levelPath, $"'{text}' is not a log level; use Trace, Debug, Information, Warning, Error, Critical or None.");
                }

                logLevels[string.Equals(level.Name, "default", StringComparison.OrdinalIgnoreCase) ? "Default" : level.Name] = parsed;
            }
        }
    }

    private static (string RoutePrefix, DurableTaskHostOptions Durable) ReadExtensions(JsonElement element, string path, Func<string, string?> settings)
    {
        RequireObject(element, path);
        var routePrefix = "api";
        var durable = new DurableTaskHostOptions();
        foreach (var property in element.EnumerateObject())
        {
            var childPath = Child(path, property.Name);
            switch (property.Name.ToUpperInvariant())
            {
                case "HTTP":
                    routePrefix = ReadHttp(property.Value, childPath);
                    break;
                case "DURABLETASK":
                    durable = ReadDurableTask(property.Value, childPath, settings);
                    break;
                default:
                    throw Unknown(childPath, "http, durableTask");
            }
        }

        return (routePrefix, durable);
    }

    private static string ReadHttp(JsonElement element, string path)
    {
        RequireObject(element, path);
        var routePrefix = "api";
        foreach (var property in element.EnumerateObject())
        {
            var childPath = Child(path, property.Name);
            if (!string.Equals(property.Name, "routePrefix", StringComparison.OrdinalIgnoreCase))
            {
                throw Unknown(childPath, "routePrefix");
            }

            routePrefix = String(property.Value, childPath).Trim('/');
            try
            {
                var pattern = RoutePatternFactory.Parse(routePrefix);
                if (pattern.Parameters.Count > 0)
                {
                    throw new HostJsonException(childPath, $"the route prefix '{routePrefix}' cannot contain route parameters.");
                }
            }
            catch (RoutePatternException ex)
            {
                throw new HostJsonException(childPath, $"'{routePrefix}' is not a valid route prefix: {ex.Message}", ex);
            }
        }

        return routePrefix;
    }

    private static DurableTaskHostOptions ReadDurableTask(JsonElement element, string path, Func<string, string?> settings)
    {
        RequireObject(element, path);
        var hubName = "CompanyHub";
        var storage = new StorageProviderOptions();
        int? maxActivities = null, maxOrchestrators = null;
        bool? extendedSessions = null;
        TimeSpan? idleTimeout = null, retention = null, grace = null;
        int? maxPayload = null;
        string? defaultVersion = null, matchStrategy = null, failureStrategy = null;
        foreach (var property in element.EnumerateObject())
        {
            var childPath = Child(path, property.Name);
            switch (property.Name.ToUpperInvariant())
            {
                case "HUBNAME":
                    hubName = ResolveSetting(String(property.Value, childPath), childPath, settings);
                    if (!HubNamePattern().IsMatch(hubName))
                    {
                        throw new HostJsonException(childPath, $"'{hubName}' is not a valid task hub name: 3 to 45 letters and digits, starting with a letter.");
                    }

                    break;
                case "STORAGEPROVIDER":
                    storage = ReadStorageProvider(property.Value, childPath);
                    break;
                case "MAXCONCURRENTACTIVITYFUNCTIONS":
                    maxActivities = Int(property.Value, childPath, 1, 10_000);
                    break;
                case "MAXCONCURRENTORCHESTRATORFUNCTIONS":
                    maxOrchestrators = Int(property.Value, childPath, 1, 10_000);
                    break;
                case "EXTENDEDSESSIONSENABLED":
                    extendedSessions = Bool(property.Value, childPath);
                    break;
                case "EXTENDEDSESSIONIDLETIMEOUTINSECONDS":
                    idleTimeout = TimeSpan.FromSeconds(Int(property.Value, childPath, 1, 86_400));
                    break;
                case "RETENTION":
                    retention = TimeSpanValue(property.Value, childPath, allowInfinite: true);
                    break;
                case "SHUTDOWNGRACEPERIOD":
                    grace = TimeSpanValue(property.Value, childPath, allowInfinite: false, allowZero: true);
                    break;
                case "MAXPAYLOADBYTES":
                    maxPayload = Int(property.Value, childPath, 1024, 256 * 1024 * 1024);
                    break;
                case "DEFAULTVERSION":
                    defaultVersion = ResolveSetting(String(property.Value, childPath), childPath, settings);
                    break;
                case "VERSIONMATCHSTRATEGY":
                    matchStrategy = OneOf(property.Value, childPath, "None", "Strict", "CurrentOrOlder");
                    break;
                case "VERSIONFAILURESTRATEGY":
                    failureStrategy = OneOf(property.Value, childPath, "Reject", "Fail");
                    break;
                default:
                    throw Unknown(childPath, "hubName, storageProvider, maxConcurrentActivityFunctions, maxConcurrentOrchestratorFunctions, extendedSessionsEnabled, extendedSessionIdleTimeoutInSeconds, retention, shutdownGracePeriod, maxPayloadBytes, defaultVersion, versionMatchStrategy, versionFailureStrategy");
            }
        }

        if ((matchStrategy ?? failureStrategy) is not null && string.IsNullOrWhiteSpace(defaultVersion))
        {
            throw new HostJsonException(Child(path, matchStrategy is not null ? "versionMatchStrategy" : "versionFailureStrategy"), "versioning needs this build's version in defaultVersion.");
        }

        return new DurableTaskHostOptions
        {
            HubName = hubName,
            StorageProvider = storage,
            MaxConcurrentActivityFunctions = maxActivities,
            MaxConcurrentOrchestratorFunctions = maxOrchestrators,
            ExtendedSessionsEnabled = extendedSessions,
            ExtendedSessionIdleTimeout = idleTimeout,
            Retention = retention,
            ShutdownGracePeriod = grace,
            MaxPayloadBytes = maxPayload,
            DefaultVersion = string.IsNullOrWhiteSpace(defaultVersion) ? null : defaultVersion.Trim(),
            VersionMatchStrategy = matchStrategy,
            VersionFailureStrategy = failureStrategy,
        };
    }

    private static StorageProviderOptions ReadStorageProvider(JsonElement element, string path)
    {
        RequireObject(element, path);
        var type = "sqlite";
        string? connectionStringName = null;
        var extra = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in element.EnumerateObject())
        {
            var childPath = Child(path, property.Name);
            switch (property.Name.ToUpperInvariant())
            {
                case "TYPE":
                    type = String(property.Value, childPath).ToLowerInvariant();
                    if (type is not ("sqlite" or "postgres"))
                    {
                        throw new HostJsonException(childPath, $"'{type}' is not a storage provider this host knows; use \"sqlite\" or \"postgres\".");
                    }

                    break;
                case "CONNECTIONSTRINGNAME":
                    connectionStringName = String(property.Value, childPath);
                    if (connectionStringName.Length == 0)
                    {
                        throw new HostJsonException(childPath, "the connection string name is empty; remove the key to use the default.");
                    }

                    break;
                default:
                    extra[property.Name] = property.Value.Clone();
                    break;
            }
        }

        return new StorageProviderOptions { Type = type, ConnectionStringName = connectionStringName, Settings = extra };
    }

    private static string ResolveSetting(string value, string path, Func<string, string?> settings)
    {
        if (SettingReference().Match(value) is not { Success: true } match)
        {
            return value;
        }

        var name = match.Groups[1].Value;
        return settings(name) is { Length: > 0 } resolved
            ? resolved
            : throw new HostJsonException(path, $"'{value}' refers to app setting '{name}', which is not set.");
    }

    internal static string Child(string path, string name) =>
        name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? $"{path}.{name}" : $"{path}['{name}']";

    internal static HostJsonException Unknown(string path, string known) =>
        new(path, $"this host does not support this setting (known here: {known}).");

    private static void RequireObject(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new HostJsonException(path, $"expected an object, found {Describe(element)}.");
        }
    }

    internal static string String(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw new HostJsonException(path, $"expected a string, found {Describe(element)}.");

    internal static bool Bool(JsonElement element, string path) => element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new HostJsonException(path, $"expected true or false, found {Describe(element)}."),
    };

    /// <summary>A string that must be one of <paramref name="allowed"/> (case-insensitive); answered in the allowed spelling.</summary>
    private static string OneOf(JsonElement element, string path, params string[] allowed)
    {
        var value = String(element, path);
        return allowed.FirstOrDefault(a => string.Equals(a, value, StringComparison.OrdinalIgnoreCase))
            ?? throw new HostJsonException(path, $"'{value}' is not one of {string.Join(", ", allowed)}.");
    }

    private static int Int(JsonElement element, string path, int min, int max)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var value))
        {
            throw new HostJsonException(path, $"expected a whole number from {min} to {max}, found {Describe(element)}.");
        }

        return value < min || value > max ? throw new HostJsonException(path, $"{value} is outside {min}-{max}.") : value;
    }

    private static TimeSpan TimeSpanValue(JsonElement element, string path, bool allowInfinite, bool allowZero = false)
    {
        var text = String(element, path);
        if (allowInfinite && text == "-1")
        {
            return Timeout.InfiniteTimeSpan;
        }

        if (!TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var value) || value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero))
        {
            var infinite = allowInfinite ? ", or \"-1\" for no limit" : string.Empty;
            throw new HostJsonException(path, $"'{text}' is not a valid duration; use [d.]hh:mm:ss such as \"00:05:00\"{infinite}.");
        }

        return value;
    }

    internal static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{element.GetString()}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
