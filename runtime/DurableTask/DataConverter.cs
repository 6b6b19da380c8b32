using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.DurableTask;

/// <summary>Turns inputs, outputs and state into strings that the store keeps, and back.</summary>
public abstract class DataConverter
{
    /// <summary>Serializes a value; null stays null.</summary>
    public abstract string? Serialize(object? value);

    /// <summary>Deserializes a value to <paramref name="targetType"/>; null stays null.</summary>
    public abstract object? Deserialize(string? data, Type targetType);

    /// <summary>Deserializes a value to <typeparamref name="T"/>.</summary>
    public T? Deserialize<T>(string? data) => (T?)Deserialize(data, typeof(T));
}

/// <summary>The default converter: System.Text.Json with web defaults (camelCase, case-insensitive reads).</summary>
public sealed class JsonDataConverter : DataConverter
{
    /// <summary>Gets the shared default instance.</summary>
    public static JsonDataConverter Default { get; } = new(CreateDefaultOptions());

    /// <summary>Initializes a new instance of the <see cref="JsonDataConverter"/> class.</summary>
    public JsonDataConverter(JsonSerializerOptions options)
    {
        Options = options;
    }

    /// <summary>Gets the serializer options.</summary>
    public JsonSerializerOptions Options { get; }

    /// <summary>Creates the default options.</summary>
    public static JsonSerializerOptions CreateDefaultOptions() => new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <inheritdoc/>
    public override string? Serialize(object? value) => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), Options);

    /// <inheritdoc/>
    public override object? Deserialize(string? data, Type targetType)
    {
        ArgumentNullException.ThrowIfNull(targetType);
        if (data is null)
        {
            return null;
        }

        return JsonSerializer.Deserialize(data, targetType, Options);
    }
}
