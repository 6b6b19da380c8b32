using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using Serverless.Functions.Indexing;

namespace Serverless.Functions.Http;

/// <summary>
/// Binds the parameters of an HTTP function from the request: the request itself, route values, query values and
/// one JSON body. Every value that does not bind becomes an entry of a 400 problem+json response, keyed by the
/// field (route or query parameter name, or the JSON path in the body, e.g. <c>address.zip</c>).
/// </summary>
internal static class HttpArgumentBinder
{
    /// <summary>The key used for problems with the body as a whole.</summary>
    public const string BodyKey = "body";

    public static async Task<BindingResult> BindAsync(FunctionDescriptor function, HttpContext http, FunctionContext context, JsonSerializerOptions json)
    {
        var args = new object?[function.Parameters.Count];
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var binding = function.Parameters[i];
            switch (binding.Kind)
            {
                case ParameterKind.HttpRequest:
                    args[i] = http.Request;
                    break;
                case ParameterKind.HttpContext:
                    args[i] = http;
                    break;
                case ParameterKind.ClaimsPrincipal:
                    args[i] = http.User;
                    break;
                case ParameterKind.FunctionContext:
                    args[i] = context;
                    break;
                case ParameterKind.CancellationToken:
                    args[i] = context.CancellationToken;
                    break;
                case ParameterKind.Logger:
                    args[i] = InvocationArguments.UserLogger(function, http.RequestServices);
                    break;
                case ParameterKind.DurableClient:
                    args[i] = InvocationArguments.DurableClient(http.RequestServices);
                    break;
                case ParameterKind.RouteValue:
                    args[i] = BindSimple(binding, http.GetRouteValue(binding.Name)?.ToString(), "route value", errors);
                    break;
                case ParameterKind.QueryValue:
                    args[i] = BindSimple(binding, QueryValue(http.Request, binding.Name), "query parameter", errors);
                    break;
                case ParameterKind.Body:
                    var body = await BindBodyAsync(binding, http, json, errors, context.CancellationToken);
                    if (body.UnsupportedMediaType is { } mediaType)
                    {
                        return new BindingResult(args, TypedResults.Problem(
                            statusCode: StatusCodes.Status415UnsupportedMediaType,
                            title: "Unsupported media type",
                            detail: $"Function '{function.Name}' reads a JSON body; send it with Content-Type: application/json, not '{mediaType}'."));
                    }

                    args[i] = body.Value;
                    break;
                default:
                    throw new InvalidOperationException($"Parameter kind {binding.Kind} is not bound from an HTTP request.");
            }
        }

        if (errors.Count == 0)
        {
            return new BindingResult(args, null);
        }

        var summary = string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}"));
        return new BindingResult(args, TypedResults.ValidationProblem(
            errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
            detail: $"The request to function '{function.Name}' is not valid. {summary}",
            title: "One or more validation errors occurred."));
    }

    private static string? QueryValue(HttpRequest request, string name)
    {
        foreach (var pair in request.Query)
        {
            if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return pair.Value.FirstOrDefault();
            }
        }

        return null;
    }

    private static object? BindSimple(ParameterBinding binding, string? text, string source, Dictionary<string, List<string>> errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            if (!binding.IsOptional)
            {
                Add(errors, binding.Name, $"The {source} '{binding.Name}' is required.");
            }

            return binding.DefaultValue;
        }

        if (TryConvert(text, binding.Type, out var value))
        {
            return value;
        }

        Add(errors, binding.Name, $"'{text}' is not a valid {FunctionIndexer.Format(Nullable.GetUnderlyingType(binding.Type) ?? binding.Type)}.");
        return binding.DefaultValue;
    }

    internal static bool TryConvert(string text, Type type, out object? value)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        value = null;
        if (target == typeof(string))
        {
            value = text;
            return true;
        }

        if (target.IsEnum)
        {
            if (Enum.TryParse(target, text, ignoreCase: true, out var parsed) && Enum.IsDefined(target, parsed!))
            {
                value = parsed;
                return true;
            }

            return false;
        }

        try
        {
            value = TypeDescriptor.GetConverter(target).ConvertFromInvariantString(text);
            return value is not null;
        }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ArgumentException or OverflowException)
        {
            return false;
        }
    }

    private static async Task<BodyResult> BindBodyAsync(ParameterBinding binding, HttpContext http, JsonSerializerOptions json, Dictionary<string, List<string>> errors, CancellationToken cancellationToken)
    {
        var request = http.Request;
        if (await JsonText.ReadBodyAsync(request, cancellationToken) is not { } text)
        {
            Add(errors, BodyKey, JsonText.NotUtf8);
            return new BodyResult(binding.DefaultValue, null);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            if (!binding.IsOptional)
            {
                Add(errors, BodyKey, $"A JSON body is required (it is read as {FunctionIndexer.Format(binding.Type)}).");
            }

            return new BodyResult(binding.DefaultValue, null);
        }

        if (!string.IsNullOrEmpty(request.ContentType) && !IsJson(request.ContentType))
        {
            return new BodyResult(null, request.ContentType);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions
            {
                AllowTrailingCommas = json.AllowTrailingCommas,
                CommentHandling = json.ReadCommentHandling,
                MaxDepth = json.MaxDepth == 0 ? 64 : json.MaxDepth,
            });
        }
        catch (JsonException ex)
        {
            Add(errors, BodyKey, $"The body is not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}).");
            return new BodyResult(binding.DefaultValue, null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null)
            {
                if (!binding.IsOptional)
                {
                    Add(errors, BodyKey, $"A JSON body is required (it is read as {FunctionIndexer.Format(binding.Type)}), not null.");
                }

                return new BodyResult(binding.DefaultValue, null);
            }

            if (JsonText.FindInvalidString(root) is { } invalid)
            {
                Add(errors, BodyKey, $"The body has a string that is not valid Unicode (an escaped lone surrogate) at {invalid}.");
                return new BodyResult(binding.DefaultValue, null);
            }

            if (!CheckRequiredMembers(binding.Type, root, json, errors))
            {
                return new BodyResult(binding.DefaultValue, null);
            }

            object? value;
            try
            {
                value = root.Deserialize(binding.Type, json);
            }
            catch (JsonException ex)
            {
                Add(errors, FieldOf(ex.Path), WithoutPath(ex.Message));
                return new BodyResult(binding.DefaultValue, null);
            }

            if (value is not null)
            {
                Validate(value, json, errors);
            }

            return new BodyResult(value, null);
        }
    }

    private static bool CheckRequiredMembers(Type type, JsonElement root, JsonSerializerOptions json, Dictionary<string, List<string>> errors)
    {
        if (root.ValueKind != JsonValueKind.Object || FunctionIndexer.IsSimple(type) || typeof(JsonNode).IsAssignableFrom(type) || type == typeof(JsonElement) || type == typeof(object))
        {
            return true;
        }

        var info = json.GetTypeInfo(type);
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return true;
        }

        var ok = true;
        var comparison = json.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        foreach (var property in info.Properties.Where(p => p.IsRequired))
        {
            if (!root.EnumerateObject().Any(p => string.Equals(p.Name, property.Name, comparison)))
            {
                Add(errors, property.Name, $"The {property.Name} field is required.");
                ok = false;
            }
        }

        return ok;
    }

    private static void Validate(object value, JsonSerializerOptions json, Dictionary<string, List<string>> errors)
    {
        var type = value.GetType();
        if (FunctionIndexer.IsSimple(type) || value is JsonNode or JsonElement || value is System.Collections.IEnumerable)
        {
            return;
        }

        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
        {
            return;
        }

        foreach (var result in results)
        {
            var members = result.MemberNames.Any() ? result.MemberNames : [BodyKey];
            foreach (var member in members)
            {
                var name = member == BodyKey ? member : json.PropertyNamingPolicy?.ConvertName(member) ?? member;
                Add(errors, name, result.ErrorMessage ?? "The value is not valid.");
            }
        }
    }

    private static bool IsJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Value is { } value
        && (value.Equals("application/json", StringComparison.OrdinalIgnoreCase) || value.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || value.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    internal static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return BodyKey;
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Length == 0 ? BodyKey : field;
    }

    private static string WithoutPath(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static void Add(Dictionary<string, List<string>> errors, string key, string message)
    {
        if (!errors.TryGetValue(key, out var list))
        {
            list = [];
            errors[key] = list;
        }

        list.Add(message);
    }

    private readonly record struct BodyResult(object? Value, string? UnsupportedMediaType);
}

/// <summary>The bound arguments, or the problem response that replaces the invocation.</summary>
internal sealed record BindingResult(object?[] Arguments, IResult? Problem);
