using System.Text.Json.Nodes;

namespace CompanyHub.Fakes.Attio;

/// <summary>A record: each attribute's values, current ones with <c>active_until</c> null.</summary>
internal sealed class AttioRecordState
{
    public required string Id { get; init; }

    public required string ObjectSlug { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public Dictionary<string, List<JsonObject>> Values { get; } = new(StringComparer.Ordinal);

    public IEnumerable<JsonObject> Current(string attribute) =>
        Values.TryGetValue(attribute, out var values) ? values.Where(v => v["active_until"] is null) : [];
}
