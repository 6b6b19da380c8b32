using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;

namespace CompanyHub.Orchestrations;

/// <summary>
/// The JSON of everything the hub keeps in durable state (inputs, outputs, custom statuses, events, entity states):
/// web defaults (camelCase, case-insensitive reads), enums as strings, nulls left out. It is the format the hub has
/// always written, which the management API shows and stored instances are read back with; registered as the
/// <see cref="DataConverter"/> that Microsoft's worker and client take from the services.
/// </summary>
public static class HubJson
{
    /// <summary>Gets the serializer options of the hub's durable state.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Gets the data converter over <see cref="Options"/>.</summary>
    public static DataConverter Converter { get; } = new JsonDataConverter(Options);
}
